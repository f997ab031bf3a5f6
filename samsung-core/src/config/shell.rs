//! `[SHELL]` and `[SHELL.<name>]`: commands run for each stored file.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::instances::{Instance, Instances};
use super::walk::Section;
use super::{ConfigError, Files};
use crate::route::ActionKind;

/// One shell action (`[SHELL]` or `[SHELL.<name>]`, after inheritance).
#[derive(Clone, PartialEq, Eq)]
pub struct ShellConfig {
    /// argv with `{sender}`, `{recipient}`, `{filename}`, `{subject}`, `{body}` placeholders.
    pub cmd: Vec<String>,
    /// Optional stdin template with the same placeholders.
    pub stdin: Option<String>,
}

/// Shows the program only: arguments and the stdin template may carry credentials.
impl fmt::Debug for ShellConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShellConfig")
            .field("program", &self.cmd.first())
            .field("args", &self.cmd.len().saturating_sub(1))
            .field("stdin", &self.stdin.as_ref().map(|_| "[template]"))
            .finish()
    }
}

/// A `[SHELL]`/`[SHELL.<name>]` table before inheritance.
#[derive(Clone, Default)]
pub(super) struct ShellRaw {
    cmd: Option<Vec<String>>,
    stdin: Option<String>,
}

impl Instance for ShellRaw {
    type Resolved = ShellConfig;
    const SECTION: &'static str = "SHELL";
    const KIND: ActionKind = ActionKind::Shell;

    fn read(sec: &mut Section<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            cmd: sec.string_list("CMD")?,
            stdin: sec.string("STDIN")?,
        })
    }

    fn over(&self, defaults: &Self) -> Self {
        Self {
            cmd: self.cmd.clone().or_else(|| defaults.cmd.clone()),
            stdin: self.stdin.clone().or_else(|| defaults.stdin.clone()),
        }
    }

    fn is_empty(&self) -> bool {
        self.cmd.is_none() && self.stdin.is_none()
    }

    fn resolve(&self, section: &str, _files: &mut dyn Files) -> Result<ShellConfig, ConfigError> {
        match &self.cmd {
            Some(cmd) if cmd.first().is_some_and(|c| !c.trim().is_empty()) => Ok(ShellConfig {
                cmd: cmd.clone(),
                stdin: self.stdin.clone(),
            }),
            Some(_) => Err(ConfigError::new(
                format!("{section}.CMD"),
                "must name a program",
            )),
            None => Err(ConfigError::new(
                format!("{section}.CMD"),
                "missing (the command as a list: [\"program\", \"{filename}\", …])",
            )),
        }
    }

    fn check(
        s: &ShellConfig,
        own: &Self,
        section: &str,
        files: &mut dyn Files,
        w: &mut Vec<String>,
    ) {
        // Checked where CMD is written, not again in every instance inheriting it.
        if let Some(prog) = s
            .cmd
            .first()
            .filter(|p| own.cmd.is_some() && p.contains('/') && !p.contains('{'))
            && !files.exists(prog)
        {
            w.push(format!("{section}.CMD: {prog} does not exist"));
        }
    }
}

/// `[SHELL]` with its instances.
pub(super) fn read(
    top: &mut Section<'_>,
    w: &mut Vec<String>,
) -> Result<Instances<ShellRaw>, ConfigError> {
    match top.subtable("SHELL")? {
        Some(t) => Instances::read(t, w),
        None => Ok(Instances::default()),
    }
}
