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
    #[error("{0}")]
    Provenance(#[from] crate::provenance::ProvenanceError),
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
    let mut fetched = fetcher.fetch(spec, spec_text).await?;
    let limits = fetcher.options().limits;
    let rules = crate::provenance::Rules::embedded()?
        .with_internal_scopes(&fetcher.options().internal_scopes);
    // The registry document the fetch used: provenance reads it, nothing asks again.
    let metadata = fetched.metadata.take();
    // Decompression and analysis are CPU work: keep them off the async workers.
    let (package, unpacked, analysis, provenance) = tokio::task::spawn_blocking(move || {
        let (provenance, squats) = crate::provenance::assess(
            &fetched.package,
            metadata.as_ref(),
            &rules,
            crate::provenance::now(),
        );
        fetched.unpack(&limits).map(|(package, mut unpacked)| {
            // Look-alike names are findings like the archive's own.
            unpacked.findings.extend(squats);
            let analysis = crate::analyze::analyze(&unpacked.tree);
            (package, unpacked, analysis, provenance)
        })
    })
    .await
    .map_err(|e| FetchError::Setup(format!("analysis thread failed: {e}")))??;
    let mut report = Report::new(
        package,
        &unpacked,
        analysis,
        start.elapsed().as_millis() as u64,
    );
    report.provenance = provenance;
    // Provenance is one of the risk's inputs.
    report.risk = crate::risk::assess(&report);
    Ok(report)
}
