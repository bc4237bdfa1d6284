//! `severn ingest` and `severn rejects`: referral documents taken in, and rejected ones listed and retried.
//! The parsing runs on a thread of its own while the use case writes batches.

use crate::args::{IngestArgs, RejectsAction, RejectsArgs};
use crate::ctx::Ctx;
use crate::output;
use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use severn_app::App;
use severn_app::ingest::{IngestSummary, Ingester};
use severn_domain::access::Actor;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

pub async fn ingest(ctx: &Ctx, args: IngestArgs) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    // Rejects keep their path for `severn rejects retry`, which may run from another directory.
    let paths: Vec<PathBuf> = args
        .paths
        .iter()
        .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
        .collect();
    let summary = ingest_paths(
        &app,
        &ctx.actor,
        args.force.as_deref(),
        &paths,
        args.batch_size,
        args.bulk,
    )
    .await?;
    if args.json {
        output::json(&counts(&summary))?;
    } else {
        say!(
            "ingested {}, duplicates {}, rejected {}",
            summary.ingested + summary.new_versions,
            summary.duplicates,
            summary.rejected
        );
    }
    Ok(if summary.rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

pub async fn rejects(ctx: &Ctx, args: RejectsArgs) -> Result<ExitCode> {
    let app = ctx.connect().await?;
    let actor = &ctx.actor;
    let Some(RejectsAction::Retry { ids }) = args.action else {
        output::rejects(&app.rejects(actor, args.all).await?, args.json)?;
        return Ok(ExitCode::SUCCESS);
    };
    let mut failed = false;
    let mut retried = Vec::new();
    for id in ids {
        let s = app.retry_reject(actor, id).await?;
        failed |= s.rejected > 0;
        if args.json {
            let mut answer = counts(&s);
            answer["reject"] = id.into();
            answer["resolved"] = (s.rejected == 0).into();
            retried.push(answer);
            continue;
        }
        say!(
            "reject {id}: ingested {}, duplicates {}, rejected {}{}",
            s.ingested + s.new_versions,
            s.duplicates,
            s.rejected,
            if s.rejected == 0 {
                " (resolved)"
            } else {
                " (still rejected: see severn rejects)"
            }
        );
    }
    if args.json {
        output::json(&retried)?;
    }
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// An ingest's counts as the command prints them (a new version of a referral counts as ingested), and as
/// `POST /api/packages` names them.
fn counts(summary: &IngestSummary) -> serde_json::Value {
    serde_json::json!({
        "ingested": summary.ingested + summary.new_versions,
        "duplicates": summary.duplicates,
        "rejected": summary.rejected,
    })
}

/// Lowers the calling thread's scheduling priority. Writing batches is the longest of the ingest's three
/// threads (parsing, preparing, writing); when all three want one of the two cores, the writer should get it
/// and the parser, which only has to stay ahead, should wait: without this the writer spent about a tenth of a
/// 1 M ingest waiting for a core. Linux keeps the nice value per thread.
fn yield_to_the_writer() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        let this = Some(rustix::thread::gettid());
        // Ten steps below what it was (19 is the lowest). A failure leaves it as it was: slower, not wrong.
        if let Ok(nice) = getpriority_process(this) {
            let _ = setpriority_process(this, (nice + 10).min(19));
        }
    }
}

/// Parses on a thread of its own while this task writes batches, so the two cores share the work.
async fn ingest_paths(
    app: &App,
    actor: &Actor,
    force: Option<&str>,
    paths: &[PathBuf],
    batch_size: usize,
    bulk: bool,
) -> Result<IngestSummary> {
    // Documents cross to the writer in chunks: one wake-up per chunk rather than per document.
    const CHUNK: usize = 256;
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<severn_ingest::Item>>(4);
    let walk_paths = paths.to_vec();
    let parser = std::thread::spawn(move || {
        yield_to_the_writer();
        let mut chunk = Vec::with_capacity(CHUNK);
        for item in severn_ingest::walk(&walk_paths) {
            chunk.push(item);
            if chunk.len() == CHUNK
                && sender
                    .blocking_send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                    .is_err()
            {
                return;
            }
        }
        // A closed channel means the writer stopped on an error, which it reports itself.
        if !chunk.is_empty() {
            let _ = sender.blocking_send(chunk);
        }
    });
    let progress = if std::io::stderr().is_terminal() {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
    };
    progress.set_style(
        ProgressStyle::with_template("{spinner} {elapsed} {human_pos} documents ({per_sec}) {msg}")
            .expect("progress template"),
    );
    let mut ingester = Ingester::new(app, actor, force)
        .await?
        .with_batch_size(batch_size);
    if bulk {
        app.begin_bulk_load().await?;
    }
    let written = async {
        while let Some(chunk) = receiver.recv().await {
            let count = chunk.len() as u64;
            for item in chunk {
                ingester.push(item).await?;
            }
            progress.inc(count);
            let s = ingester.summary();
            progress.set_message(format!(
                "ingested {}, duplicates {}, rejected {}",
                s.ingested + s.new_versions,
                s.duplicates,
                s.rejected
            ));
        }
        ingester.finish().await
    }
    .await;
    if bulk {
        // Also after a failed batch: what was committed before it stays, and is searchable.
        progress.set_message("building the deferred indexes");
        app.end_bulk_load().await?;
    }
    let summary = written?;
    progress.finish_and_clear();
    parser
        .join()
        .map_err(|_| anyhow::anyhow!("the parsing thread failed"))?;
    Ok(summary)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use rustix::process::getpriority_process;
    use rustix::thread::gettid;

    #[test]
    fn the_parser_yields_to_the_writer_and_only_the_parser() {
        let before = getpriority_process(Some(gettid())).unwrap();
        let parser = std::thread::spawn(|| {
            let start = getpriority_process(Some(gettid())).unwrap();
            super::yield_to_the_writer();
            (start, getpriority_process(Some(gettid())).unwrap())
        });
        let (start, lowered) = parser.join().unwrap();
        assert_eq!(lowered, (start + 10).min(19));
        assert_eq!(getpriority_process(Some(gettid())).unwrap(), before);
    }
}
