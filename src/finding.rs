//! The finding: one place in one file a reviewer must see (DESIGN §2).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// `steps` levels lower, never below info.
    pub fn lowered(self, steps: u8) -> Severity {
        let mut s = self;
        for _ in 0..steps {
            s = match s {
                Severity::Critical => Severity::High,
                Severity::High => Severity::Medium,
                Severity::Medium => Severity::Low,
                Severity::Low | Severity::Info => Severity::Info,
            };
        }
        s
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    InstallScript,
    Network,
    EnvRead,
    FsWrite,
    SensitiveRead,
    Exec,
    Eval,
    Obfuscation,
    Endpoint,
    PromptInjection,
    HiddenUnicode,
    NativeBinary,
    Archive,
    Unpinned,
    Secret,
    /// Who published the package: typosquatting look-alikes (`provenance.typosquat`).
    Provenance,
    /// A flagged dependency (`dependency.vulnerable`, `dependency.install-script`…).
    Dependency,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::InstallScript => "install-script",
            Category::Network => "network",
            Category::EnvRead => "env-read",
            Category::FsWrite => "fs-write",
            Category::SensitiveRead => "sensitive-read",
            Category::Exec => "exec",
            Category::Eval => "eval",
            Category::Obfuscation => "obfuscation",
            Category::Endpoint => "endpoint",
            Category::PromptInjection => "prompt-injection",
            Category::HiddenUnicode => "hidden-unicode",
            Category::NativeBinary => "native-binary",
            Category::Archive => "archive",
            Category::Unpinned => "unpinned",
            Category::Secret => "secret",
            Category::Provenance => "provenance",
            Category::Dependency => "dependency",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub category: Category,
    pub severity: Severity,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    pub message: String,
    #[serde(skip_serializing_if = "Map::is_empty", default)]
    pub evidence: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
}

impl Finding {
    pub fn new(
        rule: &str,
        category: Category,
        severity: Severity,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            rule: rule.to_string(),
            category,
            severity,
            path: path.into(),
            line: None,
            column: None,
            end_line: None,
            message: message.into(),
            evidence: Map::new(),
            tool: None,
        }
    }

    /// Add one evidence field.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Finding {
        self.evidence.insert(key.to_string(), value.into());
        self
    }
}
