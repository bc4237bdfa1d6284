//! Writes a corpus without the CLI: `cargo run --release -p severn-synth --example generate -- SEED REPORTS DIR`.

use severn_synth::{SynthOptions, write_corpus};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [seed, reports, out] = args.as_slice() else {
        return Err("usage: generate SEED REPORTS DIR".into());
    };
    let options = SynthOptions::new(seed.parse()?, reports.parse()?, out);
    let started = Instant::now();
    let summary = write_corpus(&options)?;
    eprintln!("{:.2}s", started.elapsed().as_secs_f64());
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
