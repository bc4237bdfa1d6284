//! The gate's handles: a transaction ([`Scoped`]) or a page's read ([`ScopedPage`]) that the gate let through,
//! with the scope it granted. Only the gate makes them; the personal-data queries are their methods (in
//! `cases`, `page`, `sharing`, `staff`, `audit`, `staff_change` and `batch`).

use crate::Result;
use crate::scope::Scope;
use crate::tx::Tx;
use severn_domain::access::CaseAccess;
use std::ops::{Deref, DerefMut};

/// A transaction the gate let through: the personal-data reads and writes, each confined to the scope granted.
pub struct Scoped {
    pub(crate) tx: Tx,
    pub(crate) scope: Scope,
    pub(crate) case: Option<CaseAccess>,
}

/// A page's read the gate let through: the few reads a referral page makes, one statement each, each
/// confined to the scope granted.
pub struct ScopedPage {
    pub(crate) read: Scoped,
}

impl Scoped {
    /// What the grant reaches.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Who may see the case the grant is on, when it is on one.
    pub fn case_access(&self) -> Option<&CaseAccess> {
        self.case.as_ref()
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await
    }
}

impl Deref for Scoped {
    type Target = Tx;
    fn deref(&self) -> &Tx {
        &self.tx
    }
}

impl DerefMut for Scoped {
    fn deref_mut(&mut self) -> &mut Tx {
        &mut self.tx
    }
}

impl ScopedPage {
    pub fn scope(&self) -> &Scope {
        self.read.scope()
    }

    /// Ends the read; returns once its audit entries are committed.
    pub async fn commit(self) -> Result<()> {
        self.read.commit().await
    }
}
