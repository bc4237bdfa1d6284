//! Parse-only throughput on one core: `cargo run --release -p severn-ingest --example parse_rate [PATH...]`.
//! Without paths it measures the reference report in memory, then a generated synthetic corpus from disk.

use severn_ingest::{DocContext, parse_document, parse_only};
use std::path::PathBuf;
use std::time::Instant;

const REPORT_XML: &[u8] = include_bytes!("../tests/fixtures/example_report_synthetic.xml");

fn main() -> std::io::Result<()> {
    let paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if !paths.is_empty() {
        let start = Instant::now();
        let stats = parse_only(&paths);
        let secs = start.elapsed().as_secs_f64();
        let docs = stats.reports + stats.file_details + stats.rejections;
        println!(
            "{stats:?} in {secs:.2}s: {:.0} documents/s",
            docs as f64 / secs
        );
        return Ok(());
    }

    let n = 50_000;
    let ctx = DocContext::default();
    let start = Instant::now();
    for i in 0..n {
        let name = format!("{}.xml", 100_000_000 + i);
        parse_document(REPORT_XML, &name, &ctx).expect("reference report parses");
    }
    let secs = start.elapsed().as_secs_f64();
    println!("in memory: {:.0} reports/s", n as f64 / secs);

    let dir = tempfile::tempdir()?;
    let out = dir.path().join("corpus");
    severn_synth::write_corpus(&severn_synth::SynthOptions::new(1, n, &out))
        .map_err(std::io::Error::other)?;
    let start = Instant::now();
    let stats = parse_only(&[out.join("packages"), out.join("partner")]);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "synthetic corpus from files: {:.0} reports/s ({stats:?})",
        stats.reports as f64 / secs
    );
    Ok(())
}
