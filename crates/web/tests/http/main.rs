//! Severn's web application over HTTP (tower's `oneshot` against the router), on SQLite and PostgreSQL.

mod access;
mod approval;
mod cases;
mod casework;
mod free_text;
mod headers;
mod identity;
mod incidents;
mod matches;
mod matrix;
mod oversight;
mod packages;
mod pages;
mod reference;
mod register;
mod review;
mod schema;
mod server;
mod support;
mod support_services;
mod tokens;
mod worklists;
