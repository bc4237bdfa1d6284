//! Severn's web application over HTTP (tower's `oneshot` against the router), on SQLite and PostgreSQL.

mod cases;
mod headers;
mod identity;
mod matrix;
mod packages;
mod pages;
mod support;
