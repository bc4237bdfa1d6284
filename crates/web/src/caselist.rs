//! The worklists: a person's cases, their team's, the unallocated and all open or closed cases of their force,
//! a page at a time. The handler passes the signed-in actor to the use case, which decides and logs.

use crate::WebState;
use crate::cases::filters;
use crate::casework::failed;
use crate::session::{SignedIn, UserBar};
use crate::signin::render;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use severn_app::AppError;
use severn_app::casework::{Worklist, WorklistPage};
use severn_app::notices::NoticeView;
use severn_domain::access::{Actor, Role};
use severn_domain::case::Urgency;

/// The list a person sees first: their own cases if they investigate, every open case otherwise.
pub fn default_list(actor: &Actor) -> Worklist {
    if actor.has_role(Role::Investigator) {
        Worklist::Mine
    } else {
        Worklist::AllOpen
    }
}

/// Which worklist and page, as the address gives them: empty means the person's default list and page 1.
#[derive(Debug, Default, Deserialize)]
pub struct WorklistQuery {
    #[serde(default)]
    pub list: String,
    #[serde(default)]
    pub page: Option<i64>,
}

impl WorklistQuery {
    pub fn list(&self, actor: &Actor) -> Result<Worklist, AppError> {
        match self.list.trim() {
            "" => Ok(default_list(actor)),
            given => Worklist::parse(given).ok_or_else(|| {
                AppError::Invalid(format!(
                    "There is no list {given:?}: choose mine, supervised, unallocated, open or closed."
                ))
            }),
        }
    }

    pub fn page(&self) -> i64 {
        self.page.unwrap_or(1).max(1)
    }
}

struct Tab {
    value: &'static str,
    label: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "worklist.html")]
struct WorklistPageView<'a> {
    user: Option<&'a UserBar>,
    list: Worklist,
    tabs: Vec<Tab>,
    work: WorklistPage,
    /// The person's latest notices about their cases' deadlines.
    notices: Vec<NoticeView>,
}

/// How many of a person's notices the worklist shows.
const NOTICES_SHOWN: i64 = 5;

/// A worklist page.
pub(crate) async fn worklist_page(
    state: &WebState,
    actor: &Actor,
    list: Worklist,
    page: i64,
) -> Result<WorklistPage, AppError> {
    state.app.worklist(actor, list, page).await
}

pub async fn worklist(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(query): Query<WorklistQuery>,
) -> Response {
    let list = match query.list(signed_in.actor()) {
        Ok(list) => list,
        Err(e) => return failed(e, &signed_in.user),
    };
    let shown = async {
        let work = worklist_page(&state, signed_in.actor(), list, query.page()).await?;
        let notices = state
            .app
            .my_notices(signed_in.actor(), NOTICES_SHOWN)
            .await?;
        Ok::<_, AppError>((work, notices))
    }
    .await;
    match shown {
        Ok((work, notices)) => render(
            StatusCode::OK,
            &WorklistPageView {
                user: Some(&signed_in.user),
                list,
                tabs: Worklist::ALL
                    .into_iter()
                    .map(|w| Tab {
                        value: w.as_str(),
                        label: w.label(),
                        current: w == list,
                    })
                    .collect(),
                work,
                notices,
            },
        ),
        Err(e) => failed(e, &signed_in.user),
    }
}
