//! The handlers, one module per command group. Each opens the application as the operator (`Ctx`), calls
//! use cases and prints through `output`.

pub mod audit;
pub mod cases;
pub mod demo;
pub mod demo_cases;
pub mod demo_safeguarding;
pub mod demo_support;
pub mod ingest;
pub mod org;
pub mod reference;
pub mod risk;
pub mod server;
pub mod staff;
pub mod subjects;
pub mod support;
pub mod synth;
pub mod token;
