//! One statement API over the two drivers: rusqlite on SQLite, sqlx on PostgreSQL. Every query of the store is
//! written once, as SQL text (`$n` parameters, which both backends take), the values it binds ([`Arg`]) and a
//! row decoder (`decode`); [`Conn`] runs it on whichever connection the transaction holds. This is the only
//! module that calls either driver for a query.
//!
//! Depends on the leaves (`decode`, `packed`) and the domain only.

use crate::decode::Columns;
use crate::packed::Packed;
use crate::{Result, StoreError};
use severn_domain::ids::{
    CaseId, EventId, IdentifierId, OrgId, ReferralId, StaffId, SubjectId, TeamId,
};
use std::fmt::Write;

/// A value a statement binds. Each variant is typed for PostgreSQL (which checks parameter types); a `None`
/// is a NULL of the variant's type.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    I64(i64),
    OptI64(Option<i64>),
    I32(i32),
    F64(f64),
    Bool(bool),
    Text(&'a str),
    OptText(Option<&'a str>),
    Bytes(&'a [u8]),
}

macro_rules! arg_from {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {
        $(impl<'a> From<$t> for Arg<'a> {
            fn from($v: $t) -> Arg<'a> {
                $e
            }
        })*
    };
}

arg_from! {
    i64 => |v| Arg::I64(v),
    Option<i64> => |v| Arg::OptI64(v),
    i32 => |v| Arg::I32(v),
    f64 => |v| Arg::F64(v),
    bool => |v| Arg::Bool(v),
    &'a str => |v| Arg::Text(v),
    &'a String => |v| Arg::Text(v.as_str()),
    Option<&'a str> => |v| Arg::OptText(v),
    &'a [u8] => |v| Arg::Bytes(v),
    &'a Packed => |v| Arg::Bytes(v.as_stored()),
    ReferralId => |v| Arg::I64(v.0),
    SubjectId => |v| Arg::I64(v.0),
    IdentifierId => |v| Arg::I64(v.0),
    StaffId => |v| Arg::I64(v.0),
    OrgId => |v| Arg::I64(v.0),
    TeamId => |v| Arg::I64(v.0),
    CaseId => |v| Arg::I64(v.0),
    EventId => |v| Arg::I64(v.0),
    Option<EventId> => |v| Arg::OptI64(v.map(|e| e.0)),
    Option<SubjectId> => |v| Arg::OptI64(v.map(|s| s.0)),
    Option<OrgId> => |v| Arg::OptI64(v.map(|o| o.0)),
    Option<StaffId> => |v| Arg::OptI64(v.map(|s| s.0)),
    Option<TeamId> => |v| Arg::OptI64(v.map(|t| t.0)),
}

/// The values of one statement, in `$n` order: `args![a, b]` is `[Arg::from(a), Arg::from(b)]`.
macro_rules! args {
    ($($v:expr),* $(,)?) => {
        [$($crate::conn::Arg::from($v)),*]
    };
}
pub(crate) use args;

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match *self {
            Arg::I64(v) => ToSqlOutput::Owned(Value::Integer(v)),
            Arg::OptI64(v) => v.map_or(ToSqlOutput::Owned(Value::Null), |v| {
                ToSqlOutput::Owned(Value::Integer(v))
            }),
            Arg::I32(v) => ToSqlOutput::Owned(Value::Integer(v.into())),
            Arg::F64(v) => ToSqlOutput::Owned(Value::Real(v)),
            Arg::Bool(v) => ToSqlOutput::Owned(Value::Integer(v.into())),
            Arg::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Arg::OptText(v) => v.map_or(ToSqlOutput::Owned(Value::Null), |v| {
                ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes()))
            }),
            Arg::Bytes(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
        })
    }
}

/// SQL built at run time (`IN` lists, multi-row `VALUES`), with its values: `$n` placeholders are numbered
/// as values are bound.
#[derive(Debug, Default)]
pub(crate) struct Built<'a> {
    pub(crate) sql: String,
    pub(crate) args: Vec<Arg<'a>>,
}

impl<'a> Built<'a> {
    pub(crate) fn new(sql: impl Into<String>) -> Built<'a> {
        Built {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Binds a value where the SQL has reached.
    pub(crate) fn bind(&mut self, value: impl Into<Arg<'a>>) -> &mut Self {
        self.args.push(value.into());
        write!(self.sql, "${}", self.args.len()).expect("writing to a String cannot fail");
        self
    }

    /// `v1, v2, …`: an `IN` list's values.
    pub(crate) fn list<T: Into<Arg<'a>>>(
        &mut self,
        values: impl IntoIterator<Item = T>,
    ) -> &mut Self {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.bind(value);
        }
        self
    }

    /// `VALUES (…), (…)`: one row of values per item.
    pub(crate) fn values<T, const N: usize>(
        &mut self,
        rows: impl IntoIterator<Item = T>,
        row: impl Fn(T) -> [Arg<'a>; N],
    ) -> &mut Self {
        self.sql.push_str("VALUES ");
        for (i, item) in rows.into_iter().enumerate() {
            self.sql.push_str(if i > 0 { ", (" } else { "(" });
            self.list(row(item));
            self.sql.push(')');
        }
        self
    }
}

/// The connection a transaction runs its statements on.
pub(crate) enum Conn<'c> {
    /// A rusqlite connection inside a transaction. Statements run on the caller's thread: each is a few
    /// B-tree steps on pages in memory, cheaper than handing it to another thread.
    Sqlite(&'c mut rusqlite::Connection),
    Postgres(&'c mut sqlx::PgConnection),
}

impl Conn<'_> {
    /// Runs a statement; returns the number of rows it changed.
    pub(crate) async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        match self {
            Conn::Sqlite(conn) => {
                let mut stmt = prepare_sqlite(conn, sql, args)?;
                Ok(stmt.raw_execute()? as u64)
            }
            Conn::Postgres(conn) => Ok(bind_postgres(sql, args)
                .execute(&mut **conn)
                .await?
                .rows_affected()),
        }
    }

    /// Every row the statement returns, decoded.
    pub(crate) async fn all<T>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        decode: impl Fn(&dyn Columns) -> Result<T>,
    ) -> Result<Vec<T>> {
        match self {
            Conn::Sqlite(conn) => {
                let mut stmt = prepare_sqlite(conn, sql, args)?;
                let mut rows = stmt.raw_query();
                let mut found = Vec::new();
                while let Some(row) = rows.next()? {
                    found.push(decode(row)?);
                }
                Ok(found)
            }
            Conn::Postgres(conn) => {
                let rows = bind_postgres(sql, args).fetch_all(&mut **conn).await?;
                rows.iter().map(|row| decode(row)).collect()
            }
        }
    }

    /// The first row the statement returns, decoded, if there is one.
    pub(crate) async fn optional<T>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        decode: impl Fn(&dyn Columns) -> Result<T>,
    ) -> Result<Option<T>> {
        match self {
            Conn::Sqlite(conn) => {
                let mut stmt = prepare_sqlite(conn, sql, args)?;
                let mut rows = stmt.raw_query();
                rows.next()?.map(|row| decode(row)).transpose()
            }
            Conn::Postgres(conn) => {
                let row = bind_postgres(sql, args).fetch_optional(&mut **conn).await?;
                row.as_ref().map(|row| decode(row)).transpose()
            }
        }
    }

    /// The row the statement must return, decoded.
    pub(crate) async fn one<T>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        decode: impl Fn(&dyn Columns) -> Result<T>,
    ) -> Result<T> {
        self.optional(sql, args, decode).await?.ok_or_else(|| {
            StoreError::Corrupt(format!("a statement returned no row: {}", first_line(sql)))
        })
    }

    /// Runs a statement built at run time.
    pub(crate) async fn execute_built(&mut self, built: &Built<'_>) -> Result<u64> {
        self.execute(&built.sql, &built.args).await
    }

    pub(crate) async fn all_built<T>(
        &mut self,
        built: &Built<'_>,
        decode: impl Fn(&dyn Columns) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.all(&built.sql, &built.args, decode).await
    }
}

fn first_line(sql: &str) -> &str {
    sql.lines().next().unwrap_or(sql)
}

/// Prepares `sql` on a SQLite connection (from its cache) and binds `args`. SQLite reads `$n` as a name,
/// which a statement of a few values binds by looking its names up. But SQLite also looks each name up among
/// all those before it while it parses, which made a multi-row statement of thousands of values take longer
/// to parse than to run; such a statement is given to it with `?n`, which it takes as the n-th value.
fn prepare_sqlite<'c>(
    conn: &'c rusqlite::Connection,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<rusqlite::CachedStatement<'c>> {
    let mut stmt = if args.len() <= FEW_VALUES {
        conn.prepare_cached(sql)?
    } else {
        conn.prepare_cached(&numbered(sql))?
    };
    for index in 1..=stmt.parameter_count() {
        let n = match stmt.parameter_name(index) {
            Some(name) => name.strip_prefix(['$', '?']).and_then(|n| n.parse().ok()),
            None => Some(index),
        }
        .filter(|n| (1..=args.len()).contains(n))
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "parameter {index} of a statement has no value: {}",
                first_line(sql)
            ))
        })?;
        stmt.raw_bind_parameter(index, args[n - 1])?;
    }
    Ok(stmt)
}

/// Up to this many values, a statement keeps its `$n` on SQLite.
const FEW_VALUES: usize = 16;

/// `sql` with each `$n` parameter written `?n`.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

fn bind_postgres<'q>(
    sql: &'q str,
    args: &[Arg<'q>],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for arg in args {
        q = match *arg {
            Arg::I64(v) => q.bind(v),
            Arg::OptI64(v) => q.bind(v),
            Arg::I32(v) => q.bind(v),
            Arg::F64(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::OptText(v) => q.bind(v),
            Arg::Bytes(v) => q.bind(v),
        };
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_statements_number_their_parameters_in_order() {
        let mut q = Built::new("SELECT x FROM t WHERE a = ");
        q.bind(7i64).push(" AND b IN (").list(["p", "q"]).push(")");
        assert_eq!(q.sql, "SELECT x FROM t WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(q.args.len(), 3);
        let mut v = Built::new("INSERT INTO t (a, b) ");
        v.values([(1i64, "x"), (2, "y")], |(a, b)| args![a, b]);
        assert_eq!(v.sql, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
    }

    #[test]
    fn sqlite_binds_parameters_by_their_number_not_their_position() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let mut c = Conn::Sqlite(&mut conn);
        let found = futures_lite(c.one(
            "SELECT $2 || '-' || $1 || '-' || $2",
            &args!["a", "b"],
            |r| r.text(0),
        ))
        .unwrap();
        assert_eq!(found, "b-a-b");
        let missing = futures_lite(c.one("SELECT $3", &args!["a"], |r| r.text(0)));
        assert_eq!(numbered("SELECT '$x', $12 || $1"), "SELECT '$x', ?12 || ?1");
        // Many values: numbered, and still bound by number.
        let many: Vec<Arg> = (1..=20).map(Arg::I64).collect();
        let sum = futures_lite(c.one("SELECT $20 - $1 + $2", &many, |r| r.i64(0))).unwrap();
        assert_eq!(sum, 21);
        assert!(
            matches!(missing, Err(StoreError::Corrupt(_))),
            "{missing:?}"
        );
    }

    /// Runs a future that never waits (a rusqlite statement) to completion.
    fn futures_lite<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }
}
