//! HTTP with timeouts, retries and size caps. Every failure maps to one [`FetchError`] line.

use std::time::Duration;

use super::FetchError;

#[derive(Clone)]
pub struct Http {
    /// Built on first use: loading the system's root certificates costs tens of milliseconds,
    /// which a scan served from the cache never needs.
    client: std::sync::OnceLock<reqwest::Client>,
    timeout: Duration,
    retries: u32,
    /// Told about download bytes as they arrive (the TUI shows them).
    progress: Option<std::sync::Arc<dyn crate::progress::Progress>>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .finish_non_exhaustive()
    }
}

/// A response body (or its absence).
pub enum Got {
    Body(Vec<u8>),
    NotFound,
}

impl Http {
    pub fn new(timeout: Duration, retries: u32) -> Result<Http, FetchError> {
        Ok(Http {
            client: std::sync::OnceLock::new(),
            timeout,
            retries,
            progress: None,
        })
    }

    /// Report download progress to `progress`.
    pub fn set_progress(&mut self, progress: std::sync::Arc<dyn crate::progress::Progress>) {
        self.progress = Some(progress);
    }

    fn client(&self) -> Result<&reqwest::Client, FetchError> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        // reqwest is built without a bundled crypto provider; ring is ours.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("mcpvet/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.timeout.min(Duration::from_secs(15)))
            .read_timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| FetchError::Setup(format!("cannot build HTTP client: {e}")))?;
        Ok(self.client.get_or_init(|| client))
    }

    /// GET `url`, retrying connection failures, timeouts, 429 and 5xx. The body is capped at
    /// `max_bytes`. 404/410 is `Got::NotFound`; other statuses are errors.
    pub async fn get(&self, url: &str, accept: &str, max_bytes: u64) -> Result<Got, FetchError> {
        let mut attempt = 0;
        loop {
            match self.try_get(url, accept, max_bytes).await {
                Err(Attempt::Retry(_)) if attempt < self.retries => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(300 * (1 << attempt.min(4)))).await;
                }
                Err(Attempt::Retry(err)) | Err(Attempt::Fatal(err)) => return Err(err),
                Ok(got) => return Ok(got),
            }
        }
    }

    async fn try_get(&self, url: &str, accept: &str, max_bytes: u64) -> Result<Got, Attempt> {
        let unreachable = |e: &reqwest::Error| {
            let mut reason = if e.is_timeout() {
                "timed out".to_string()
            } else if e.is_connect() {
                "connection failed".to_string()
            } else {
                "request failed".to_string()
            };
            // The innermost cause is the useful part ("Connection refused", "dns error…").
            let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
            let mut last = None;
            while let Some(s) = src {
                last = Some(s.to_string());
                src = s.source();
            }
            if let Some(l) = last {
                reason = format!("{reason}: {l}");
            }
            FetchError::Unreachable {
                url: url.to_string(),
                reason,
            }
        };
        let resp = self
            .client()
            .map_err(Attempt::Fatal)?
            .get(url)
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .await
            .map_err(|e| Attempt::Retry(unreachable(&e)))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Ok(Got::NotFound);
        }
        if !status.is_success() {
            let err = FetchError::Http {
                url: url.to_string(),
                status: status.as_u16(),
            };
            return Err(if status.is_server_error() || status.as_u16() == 429 {
                Attempt::Retry(err)
            } else {
                Attempt::Fatal(err)
            });
        }
        if resp.content_length().is_some_and(|n| n > max_bytes) {
            return Err(Attempt::Fatal(FetchError::TooLarge {
                url: url.to_string(),
                limit: max_bytes,
            }));
        }
        let mut resp = resp;
        let total = resp.content_length();
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > max_bytes {
                        return Err(Attempt::Fatal(FetchError::TooLarge {
                            url: url.to_string(),
                            limit: max_bytes,
                        }));
                    }
                    body.extend_from_slice(&chunk);
                    if let Some(p) = &self.progress {
                        p.bytes(url, body.len() as u64, total);
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(Attempt::Retry(unreachable(&e))),
            }
        }
        Ok(Got::Body(body))
    }
}

enum Attempt {
    Retry(FetchError),
    Fatal(FetchError),
}
