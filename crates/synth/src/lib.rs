//! Synthetic CyberTipline referral streams with ground truth, for tests and benchmarks.
//!
//! [`write_corpus`] writes NCA packages of CyberTip XML and law-enforcement JSON reports, a partner CSV, the
//! ground truth (true suspect of every source reference) and a summary, deterministically from a seed.
//! Reports are streamed one package at a time: memory grows with the suspect population only.
//! Every value is fictitious: RFC 2606 domains, RFC 5737 / RFC 3849 addresses, Ofcom drama phone numbers.
//!
//! Depends on no Severn crate: it writes the formats from their specifications, independently of
//! `severn-ingest`'s parsers, so that tests read the same formats two ways.

pub mod names;
mod partner;
mod population;
mod render;
mod report;
mod services;

use population::{MAX_WEIGHT, Population};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use report::{Context, Report};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

/// What to generate. [`SynthOptions::new`] derives the partner row count from the report count.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    pub seed: u64,
    /// Unique NCMEC reports; re-sent duplicates and new versions come on top.
    pub reports: usize,
    /// Output directory: created if missing, must be empty if present.
    pub out: PathBuf,
    pub reports_per_package: usize,
    /// Shared identifiers between different people, placeholders, format variants, duplicates and versions.
    pub hard_cases: bool,
    pub partner_csv_rows: usize,
    /// Forces that receive packages; each suspect belongs to one. Empty: all go to [`DEFAULT_FORCE`].
    pub forces: Vec<String>,
}

impl SynthOptions {
    pub fn new(seed: u64, reports: usize, out: impl Into<PathBuf>) -> SynthOptions {
        SynthOptions {
            seed,
            reports,
            out: out.into(),
            partner_csv_rows: reports / 50,
            ..SynthOptions::default()
        }
    }
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            seed: 1,
            reports: 1000,
            out: PathBuf::from("synth-out"),
            reports_per_package: 50,
            hard_cases: true,
            partner_csv_rows: 20,
            forces: Vec::new(),
        }
    }
}

/// Counts of what was written; also saved as `summary.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SynthSummary {
    /// Report documents written, including duplicates and new versions.
    pub reports: usize,
    /// Distinct NCMEC report IDs.
    pub unique_reports: usize,
    /// Exact re-sends of an earlier document in a later package.
    pub duplicates: usize,
    /// Re-sends of a known report ID with changed content.
    pub new_versions: usize,
    /// Distinct true suspects across reports and partner rows.
    pub suspects: usize,
    pub packages: usize,
    pub partner_rows: usize,
    /// fileDetails documents written.
    pub file_details: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("invalid options: {0}")]
    InvalidOptions(&'static str),
    #[error("output directory {0} is not empty")]
    OutputNotEmpty(PathBuf),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("file writer stopped before {0} was written")]
    WriterStopped(PathBuf),
    #[error("cannot write {path}: {source}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SynthError + '_ {
    move |source| SynthError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Share of reports re-sent unchanged, and re-sent changed, in a later package.
const DUPLICATE_RATE: f64 = 0.02;
const NEW_VERSION_RATE: f64 = 0.01;
/// Recent reports kept for re-sending; bounds memory.
const RECENT: usize = 512;

/// Picks the suspect of each report: new suspects arrive at a steady rate, earlier ones recur in proportion
/// to their weight, so a few suspects have many reports and most have one.
struct Picker {
    next: usize,
    limit: usize,
    new_rate: f64,
}

impl Picker {
    fn pick(&mut self, rng: &mut ChaCha8Rng, pop: &Population, remaining: usize) -> usize {
        let left = self.limit - self.next;
        if self.next == 0 || left >= remaining || (left > 0 && rng.random_bool(self.new_rate)) {
            self.next += 1;
            return self.next - 1;
        }
        loop {
            let j = rng.random_range(0..self.next);
            if rng.random_range(0..MAX_WEIGHT) < pop.suspects[j].weight {
                return j;
            }
        }
    }
}

/// Packages are written by a few threads, one whole package directory per job: creating many small files is
/// bound by the file system, not the CPU, and creating them in different directories at once is several times
/// faster. Content is fixed before sending, so output stays deterministic; the bounded queue keeps memory flat.
const WRITER_THREADS: usize = 4;
const QUEUE: usize = 2 * WRITER_THREADS;

/// A package directory and its files (name, content).
type Job = (PathBuf, Vec<(String, Vec<u8>)>);

fn write_packages(jobs: &Mutex<Receiver<Job>>, failure: &Mutex<Option<SynthError>>) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((dir, files)) = job else { return };
        if let Err(err) = write_package(&dir, &files)
            && let Ok(mut slot) = failure.lock()
        {
            slot.get_or_insert(err);
        }
    }
}

fn write_package(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), SynthError> {
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    for (name, bytes) in files {
        let path = dir.join(name);
        fs::write(&path, bytes).map_err(io_err(&path))?;
    }
    Ok(())
}

struct Writer<'a> {
    packages: SyncSender<Job>,
    /// Files of the package being generated.
    files: Vec<(String, Vec<u8>)>,
    summary: &'a mut SynthSummary,
}

impl Writer<'_> {
    fn send(&mut self, name: String, bytes: Vec<u8>) {
        self.files.push((name, bytes));
    }

    /// Hands the finished package to the writer threads.
    fn finish_package(&mut self, dir: PathBuf) -> Result<(), SynthError> {
        let files = std::mem::take(&mut self.files);
        self.packages
            .send((dir, files))
            .map_err(|err| SynthError::WriterStopped(err.0.0))
    }

    /// Queues a report (and its fileDetails) for writing into a package directory; returns its manifest entry.
    fn report(&mut self, dir: &Path, r: &Report) -> Result<Value, SynthError> {
        let mut entry = json!({ "ncmecReportId": r.id.to_string() });
        if r.xml {
            let name = format!("{}.xml", r.id);
            let mut xml = String::with_capacity(4096);
            render::report_xml(r, &mut xml);
            self.send(name.clone(), xml.into_bytes());
            entry["document"] = name.into();
            if !r.files.is_empty() {
                let mut names = Vec::with_capacity(r.files.len());
                for (n, file) in r.files.iter().enumerate() {
                    let name = render::file_details_name(r.id, n + 1);
                    let mut xml = String::with_capacity(2048);
                    render::file_details_xml(r, file, &mut xml);
                    self.send(name.clone(), xml.into_bytes());
                    names.push(Value::from(name));
                    self.summary.file_details += 1;
                }
                entry["fileDetails"] = names.into();
            }
        } else {
            let name = format!("{}.json", r.id);
            let mut json = Vec::with_capacity(4096);
            render::report_json(r, &mut json).map_err(|source| SynthError::Json {
                path: dir.join(&name),
                source,
            })?;
            self.send(name.clone(), json);
            entry["document"] = name.into();
        }
        self.summary.reports += 1;
        Ok(entry)
    }
}

fn suspect_key(suspect: usize) -> String {
    format!("S{:07}", suspect + 1)
}

fn prepare_output(out: &Path) -> Result<(), SynthError> {
    if out.exists() {
        let mut entries = fs::read_dir(out).map_err(io_err(out))?;
        if entries.next().is_some() {
            return Err(SynthError::OutputNotEmpty(out.to_owned()));
        }
    }
    for dir in [out.join("packages"), out.join("partner")] {
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    }
    Ok(())
}

/// Writes a synthetic corpus to `options.out`. Same options, same bytes. `summary.json` is written last.
pub fn write_corpus(options: &SynthOptions) -> Result<SynthSummary, SynthError> {
    if options.reports_per_package == 0 {
        return Err(SynthError::InvalidOptions(
            "reports_per_package must be at least 1",
        ));
    }
    let out = options.out.as_path();
    prepare_output(out)?;
    let (packages, jobs) = sync_channel::<Job>(QUEUE);
    let jobs = Mutex::new(jobs);
    let failure = Mutex::new(None);
    let generated = thread::scope(|scope| {
        for _ in 0..WRITER_THREADS {
            scope.spawn(|| write_packages(&jobs, &failure));
        }
        // `packages` moves in and is dropped on return, which lets the writers finish.
        generate(options, packages)
    });
    if let Some(err) = failure.into_inner().ok().flatten() {
        return Err(err);
    }
    let summary = generated?;
    let path = out.join("summary.json");
    let mut bytes = serde_json::to_vec_pretty(&summary).map_err(|source| SynthError::Json {
        path: path.clone(),
        source,
    })?;
    bytes.push(b'\n');
    fs::write(&path, bytes).map_err(io_err(&path))?;
    Ok(summary)
}

/// The force packages go to when no forces are named.
pub const DEFAULT_FORCE: &str = "Example Constabulary";

/// A report sent recently, which a later package may send again.
struct Recent {
    package: usize,
    force: usize,
    report: Report,
}

struct Package<'a> {
    number: usize,
    force: usize,
    name: &'a str,
    out: &'a Path,
    hard: bool,
}

/// Writes one NCA package: its new reports, some re-sends of recent reports to the same force, the manifest.
fn emit_package(
    ctx: &Context<'_>,
    writer: &mut Writer<'_>,
    rng: &mut ChaCha8Rng,
    recent: &mut VecDeque<Recent>,
    package: Package<'_>,
    reports: Vec<Report>,
) -> Result<(), SynthError> {
    let p = package.number;
    let hard = package.hard;
    let dir = package
        .out
        .join("packages")
        .join(format!("NCA-{:06}", p + 1));
    let count = reports.len();
    let mut entries = Vec::with_capacity(count + 4);
    let mut ids = Vec::with_capacity(count + 4);
    let mut latest = report::BASE_SECONDS;
    for r in reports {
        entries.push(writer.report(&dir, &r)?);
        ids.push(r.id);
        latest = latest.max(r.received);
        if hard {
            recent.push_back(Recent {
                package: p,
                force: package.force,
                report: r,
            });
            if recent.len() > RECENT {
                recent.pop_front();
            }
        }
    }
    if hard && p > 0 {
        for _ in 0..count {
            let roll: f64 = rng.random();
            if roll >= DUPLICATE_RATE + NEW_VERSION_RATE {
                continue;
            }
            let k = rng.random_range(0..recent.len());
            let old = &recent[k];
            if old.package >= p || old.force != package.force || ids.contains(&old.report.id) {
                continue;
            }
            let sent = if roll < DUPLICATE_RATE {
                writer.summary.duplicates += 1;
                old.report.clone()
            } else {
                writer.summary.new_versions += 1;
                ctx.new_version(rng, &old.report)
            };
            // Re-sends appear anywhere in the manifest, as they would in a real package.
            let at = rng.random_range(0..=entries.len());
            entries.insert(at, writer.report(&dir, &sent)?);
            ids.push(sent.id);
            latest = latest.max(sent.received);
            recent[k].report = sent;
        }
    }
    let manifest = json!({
        "format": "severn-nca-package/1",
        "ncaReference": format!("NCA-2026-{:06}", p + 1),
        "disseminatedAt": render::timestamp(latest + rng.random_range(86_400..5 * 86_400)),
        "receivingForce": package.name,
        "reports": entries,
    });
    let mut bytes = serde_json::to_vec_pretty(&manifest).map_err(|source| SynthError::Json {
        path: dir.join("package.json"),
        source,
    })?;
    bytes.push(b'\n');
    writer.send("package.json".to_owned(), bytes);
    writer.finish_package(dir)?;
    writer.summary.packages += 1;
    Ok(())
}

fn generate(options: &SynthOptions, packages: SyncSender<Job>) -> Result<SynthSummary, SynthError> {
    let out = options.out.as_path();
    let hard = options.hard_cases;
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let ncmec_suspects = if options.reports == 0 {
        0
    } else {
        (options.reports / 3).max(1)
    };
    // Suspects only partner referrals know about.
    let partner_only = options.partner_csv_rows.div_ceil(2);
    let population = Population::generate(&mut rng, ncmec_suspects + partner_only, hard);
    let ctx = Context {
        seed: options.seed,
        hard,
        population: &population,
        child_pool: (options.reports as u64 / 20).max(20),
        hash_pool: (options.reports as u64 / 100).max(50),
    };
    let mut last_report = vec![0u64; population.len()];
    let mut seen = vec![false; population.len()];
    let mut summary = SynthSummary::default();

    let truth_path = out.join("ground-truth.csv");
    let mut truth = BufWriter::new(fs::File::create(&truth_path).map_err(io_err(&truth_path))?);
    writeln!(truth, "source_ref,suspect").map_err(io_err(&truth_path))?;

    let mut picker = Picker {
        next: 0,
        limit: ncmec_suspects,
        new_rate: ncmec_suspects as f64 / options.reports.max(1) as f64,
    };
    let mut recent: VecDeque<Recent> = VecDeque::with_capacity(RECENT + 1);
    let mut writer = Writer {
        packages,
        files: Vec::new(),
        summary: &mut summary,
    };
    let forces: Vec<&str> = if options.forces.is_empty() {
        vec![DEFAULT_FORCE]
    } else {
        options.forces.iter().map(String::as_str).collect()
    };
    // Each suspect lives in one force's area and the NCA sends their reports there, so a package holds the
    // reports of one force's suspects.
    let mut pending: Vec<Vec<Report>> = vec![Vec::new(); forces.len()];
    let mut sent = 0usize;
    for index in 0..options.reports {
        let suspect = picker.pick(&mut rng, &population, options.reports - index);
        let r = ctx.report(
            &mut rng,
            index as u64,
            options.reports as u64,
            suspect,
            last_report[suspect],
        );
        last_report[suspect] = r.id;
        seen[suspect] = true;
        writeln!(truth, "ncmec:{},{}", r.id, suspect_key(suspect)).map_err(io_err(&truth_path))?;
        writer.summary.unique_reports += 1;
        let force = suspect % forces.len();
        pending[force].push(r);
        if pending[force].len() == options.reports_per_package {
            let package = Package {
                number: sent,
                force,
                name: forces[force],
                out,
                hard,
            };
            let reports = std::mem::take(&mut pending[force]);
            emit_package(&ctx, &mut writer, &mut rng, &mut recent, package, reports)?;
            sent += 1;
        }
    }
    for (force, reports) in pending.into_iter().enumerate() {
        if !reports.is_empty() {
            let package = Package {
                number: sent,
                force,
                name: forces[force],
                out,
                hard,
            };
            emit_package(&ctx, &mut writer, &mut rng, &mut recent, package, reports)?;
            sent += 1;
        }
    }

    let csv_path = out.join("partner").join("referrals.csv");
    let mut csv = csv::Writer::from_writer(BufWriter::new(
        fs::File::create(&csv_path).map_err(io_err(&csv_path))?,
    ));
    let csv_err = |source| SynthError::Csv {
        path: csv_path.clone(),
        source,
    };
    csv.write_record(partner::HEADER).map_err(csv_err)?;
    for k in 0..options.partner_csv_rows {
        let known = picker.next > 0 && rng.random_bool(0.55);
        let suspect = if known {
            rng.random_range(0..picker.next)
        } else {
            ncmec_suspects + rng.random_range(0..partner_only)
        };
        let row = partner::row(&ctx, &mut rng, k, suspect, known);
        csv.write_record(&row.fields).map_err(csv_err)?;
        writeln!(truth, "{},{}", row.source_ref, suspect_key(row.suspect))
            .map_err(io_err(&truth_path))?;
        seen[row.suspect] = true;
        summary.partner_rows += 1;
    }
    csv.flush().map_err(io_err(&csv_path))?;
    truth.flush().map_err(io_err(&truth_path))?;

    summary.suspects = seen.iter().filter(|s| **s).count();
    Ok(summary)
}
