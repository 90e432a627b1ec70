//! `scan`: spec → fetch → verify → unpack (in memory) → report.

use std::time::Instant;

use crate::fetch::{FetchError, Fetcher};
use crate::report::Report;
use crate::spec::{Spec, SpecError};

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{0}")]
    Spec(#[from] SpecError),
    #[error("{0}")]
    Fetch(#[from] FetchError),
}

/// Scan one spec as typed by the user.
pub async fn scan(fetcher: &Fetcher, spec_text: &str) -> Result<Report, ScanError> {
    let start = Instant::now();
    let spec = Spec::parse(spec_text)?;
    scan_spec(fetcher, &spec, spec_text, start).await
}

pub async fn scan_spec(
    fetcher: &Fetcher,
    spec: &Spec,
    spec_text: &str,
    start: Instant,
) -> Result<Report, ScanError> {
    let fetched = fetcher.fetch(spec, spec_text).await?;
    let limits = fetcher.options().limits;
    // Decompression and analysis are CPU work: keep them off the async workers.
    let (package, unpacked, analysis) = tokio::task::spawn_blocking(move || {
        fetched.unpack(&limits).map(|(package, unpacked)| {
            let analysis = crate::analyze::analyze(&unpacked.tree);
            (package, unpacked, analysis)
        })
    })
    .await
    .map_err(|e| FetchError::Setup(format!("analysis thread failed: {e}")))??;
    Ok(Report::new(
        package,
        &unpacked,
        analysis,
        start.elapsed().as_millis() as u64,
    ))
}
