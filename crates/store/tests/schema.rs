//! The two backends' migrations, kept in step by hand, give the same schema: the same tables, the same
//! columns with the same nullability, the same primary keys, and the same indexes (named indexes by name,
//! columns, uniqueness and whether they are partial; the indexes behind `UNIQUE` constraints by columns, as
//! each database names those itself). An index's expression column reads as "" on both.

use severn_store::testing::fresh_db;
use severn_store::{Backend, Db};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// Column name and whether it may be null.
    columns: BTreeMap<String, bool>,
    primary_key: Vec<String>,
    /// Name, and (columns, unique, partial).
    indexes: BTreeMap<String, (Vec<String>, bool, bool)>,
    /// The columns of each `UNIQUE` constraint.
    unique_constraints: BTreeSet<Vec<String>>,
}

type Schema = BTreeMap<String, Table>;

/// Where the backends differ on purpose, as (table, what differs): left out of the comparison.
///
/// SQLite indexes identifiers by a 64-bit hash of their key, far smaller than the key, and keeps one key per
/// owner by ingest's single writer; PostgreSQL, whose writers run side by side, keeps the unique index on
/// (key, owner). See migrations/sqlite/0005_identifier_key_hash.sql.
const INTENDED: &[(&str, &str)] = &[
    ("identifier", "column key_hash"),
    ("identifier", "index identifier_key_hash"),
    ("identifier", "index identifier_key_owner"),
];

fn without_intended(mut schema: Schema) -> Schema {
    for (table, what) in INTENDED {
        let Some(t) = schema.get_mut(*table) else {
            continue;
        };
        if let Some(column) = what.strip_prefix("column ") {
            t.columns.remove(column);
        } else if let Some(index) = what.strip_prefix("index ") {
            t.indexes.remove(index);
        }
    }
    schema
}

async fn sqlite_schema(db: &Db) -> Schema {
    let Db::Sqlite(sqlite) = db else {
        unreachable!()
    };
    let pool = &sqlite.pool().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for name in tables {
        let mut table = Table::default();
        let mut key: Vec<(i64, String)> = Vec::new();
        for row in sqlx::query("SELECT name, \"notnull\", pk FROM pragma_table_info($1)")
            .bind(&name)
            .fetch_all(pool)
            .await
            .unwrap()
        {
            let column: String = row.get(0);
            let not_null: bool = row.get(1);
            let pk: i64 = row.get(2);
            // A primary key column is never null, though SQLite's pragma says so only when declared.
            table.columns.insert(column.clone(), !not_null && pk == 0);
            if pk > 0 {
                key.push((pk, column));
            }
        }
        key.sort();
        table.primary_key = key.into_iter().map(|(_, c)| c).collect();
        for row in
            sqlx::query("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)")
                .bind(&name)
                .fetch_all(pool)
                .await
                .unwrap()
        {
            let index: String = row.get(0);
            let unique: bool = row.get(1);
            let origin: String = row.get(2);
            let partial: bool = row.get(3);
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(pool)
                    .await
                    .unwrap();
            match origin.as_str() {
                // The primary key's own index: compared as `primary_key`.
                "pk" => {}
                "u" => {
                    table.unique_constraints.insert(columns);
                }
                _ => {
                    table.indexes.insert(index, (columns, unique, partial));
                }
            }
        }
        schema.insert(name, table);
    }
    schema
}

async fn postgres_schema(db: &Db) -> Schema {
    let Db::Postgres(pg) = db else { unreachable!() };
    let pool = pg.pool();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations' ORDER BY table_name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for name in tables {
        let mut table = Table::default();
        for row in sqlx::query(
            "SELECT column_name::text, is_nullable = 'YES' FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .unwrap()
        {
            table.columns.insert(row.get(0), row.get(1));
        }
        for row in sqlx::query(
            "SELECT i.relname::text, ix.indisunique, ix.indisprimary, ix.indpred IS NOT NULL, \
             EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid), \
             ARRAY(SELECT COALESCE(a.attname::text, '') FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord) \
                   LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum ORDER BY k.ord) \
             FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public' AND t.relname = $1",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .unwrap()
        {
            let index: String = row.get(0);
            let unique: bool = row.get(1);
            let primary: bool = row.get(2);
            let partial: bool = row.get(3);
            let constraint: bool = row.get(4);
            let columns: Vec<String> = row.get(5);
            if primary {
                table.primary_key = columns;
            } else if constraint {
                table.unique_constraints.insert(columns);
            } else {
                table.indexes.insert(index, (columns, unique, partial));
            }
        }
        schema.insert(name, table);
    }
    schema
}

/// Each difference between the two schemas, as a line saying where and what.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut found = Vec::new();
    let names: BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    for name in names {
        let (Some(s), Some(p)) = (sqlite.get(name), postgres.get(name)) else {
            found.push(format!(
                "table {name}: only on {}",
                if sqlite.contains_key(name) {
                    "SQLite"
                } else {
                    "PostgreSQL"
                }
            ));
            continue;
        };
        let columns: BTreeSet<&String> = s.columns.keys().chain(p.columns.keys()).collect();
        for column in columns {
            let (on_sqlite, on_postgres) = (s.columns.get(column), p.columns.get(column));
            if on_sqlite != on_postgres {
                found.push(format!(
                    "{name}.{column}: nullable on SQLite {on_sqlite:?}, on PostgreSQL {on_postgres:?}"
                ));
            }
        }
        if s.primary_key != p.primary_key {
            found.push(format!(
                "{name}: primary key {:?} on SQLite, {:?} on PostgreSQL",
                s.primary_key, p.primary_key
            ));
        }
        let indexes: BTreeSet<&String> = s.indexes.keys().chain(p.indexes.keys()).collect();
        for index in indexes {
            let (on_sqlite, on_postgres) = (s.indexes.get(index), p.indexes.get(index));
            if on_sqlite != on_postgres {
                found.push(format!(
                    "{name}: index {index} (columns, unique, partial) {on_sqlite:?} on SQLite, {on_postgres:?} on PostgreSQL"
                ));
            }
        }
        if s.unique_constraints != p.unique_constraints {
            found.push(format!(
                "{name}: unique constraints {:?} on SQLite, {:?} on PostgreSQL",
                s.unique_constraints, p.unique_constraints
            ));
        }
    }
    found
}

#[tokio::test]
async fn both_backends_migrate_to_the_same_schema() {
    let sqlite = fresh_db(Backend::Sqlite).await;
    let postgres = fresh_db(Backend::Postgres).await;
    let on_sqlite = sqlite_schema(sqlite.db()).await;
    let on_postgres = postgres_schema(postgres.db()).await;
    sqlite.cleanup().await;
    postgres.cleanup().await;
    assert!(
        on_sqlite.len() > 10,
        "the schema was read: {:?}",
        on_sqlite.keys()
    );
    let found = differences(&without_intended(on_sqlite), &without_intended(on_postgres));
    assert!(
        found.is_empty(),
        "the migrated schemas differ:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_difference_is_found() {
    let mut sqlite = Schema::new();
    let mut table = Table::default();
    table.columns.insert("id".into(), false);
    table.columns.insert("note".into(), true);
    sqlite.insert("t".into(), table);
    let mut postgres = Schema::new();
    let mut table = Table::default();
    table.columns.insert("id".into(), false);
    table.columns.insert("note".into(), false);
    table
        .indexes
        .insert("t_note".into(), (vec!["note".into()], false, false));
    postgres.insert("t".into(), table);
    postgres.insert("u".into(), Table::default());
    let found = differences(&sqlite, &postgres);
    assert_eq!(found.len(), 3, "{found:?}");
}
