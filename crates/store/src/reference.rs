//! The versions of the reference lists (bank holidays, local authorities) an operator has loaded. They name no
//! one, so they are on [`Tx`]; loading one is authorised and logged by the gate before it is saved here.

use crate::Result;
use crate::conn::args;
use crate::tx::Tx;
use severn_domain::reference::ReferenceList;

/// A version of a reference list as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceListRow {
    pub list: ReferenceList,
    /// The list as loaded (CSV).
    pub body: String,
    pub sha256: String,
    pub loaded_at: i64,
    /// How the audit log names who loaded it.
    pub loaded_by: String,
}

impl Tx {
    /// The version of `list` in force, if one was loaded (otherwise the shipped one is).
    pub async fn active_reference_list(
        &mut self,
        list: ReferenceList,
    ) -> Result<Option<ReferenceListRow>> {
        self.conn()
            .optional(
                "SELECT body, sha256, loaded_at, loaded_by FROM reference_list \
                 WHERE name = $1 AND active = TRUE",
                &args![list.as_str()],
                |r| {
                    Ok(ReferenceListRow {
                        list,
                        body: r.text(0)?,
                        sha256: r.text(1)?,
                        loaded_at: r.i64(2)?,
                        loaded_by: r.text(3)?,
                    })
                },
            )
            .await
    }

    /// Stores a version of a list and puts it in force. A version already stored (the same text) is put in
    /// force again, recording who loaded it this time and when.
    pub async fn save_reference_list(&mut self, row: &ReferenceListRow) -> Result<()> {
        let name = row.list.as_str();
        let mut conn = self.conn();
        conn.execute(
            "UPDATE reference_list SET active = FALSE WHERE name = $1",
            &args![name],
        )
        .await?;
        let updated = conn
            .execute(
                "UPDATE reference_list SET active = TRUE, loaded_at = $3, loaded_by = $4 \
                 WHERE name = $1 AND sha256 = $2",
                &args![name, &row.sha256, row.loaded_at, &row.loaded_by],
            )
            .await?;
        if updated == 0 {
            conn.execute(
                "INSERT INTO reference_list (name, body, sha256, loaded_at, loaded_by, active) \
                 VALUES ($1, $2, $3, $4, $5, TRUE)",
                &args![name, &row.body, &row.sha256, row.loaded_at, &row.loaded_by],
            )
            .await?;
        }
        Ok(())
    }
}
