//! Sections with instances: `[MASTODON]` and `[MASTODON.<name>]`, `[SHELL]`
//! and `[SHELL.<name>]`. An instance inherits every key it does not set from
//! the defaults, without changing them (unlike the reference, §9.3 #4).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::check::Uses;
use super::value::{Table, Value};
use super::walk::{Section, in_key_order};
use super::{ConfigError, Files, section_name};
use crate::route::{Action, ActionKind};

/// One section's keys before inheritance.
pub(super) trait Instance: Clone + Default {
    /// The usable instance.
    type Resolved;
    /// `MASTODON`, `SHELL`.
    const SECTION: &'static str;
    /// The action that uses it.
    const KIND: ActionKind;

    /// Reads the keys of one section.
    fn read(sec: &mut Section<'_>) -> Result<Self, ConfigError>;
    /// `self` over `defaults`.
    fn over(&self, defaults: &Self) -> Self;
    /// Whether the section sets nothing.
    fn is_empty(&self) -> bool;
    /// The usable instance, or why not (with the key at fault).
    fn resolve(&self, section: &str, files: &mut dyn Files) -> Result<Self::Resolved, ConfigError>;
    /// Warnings about a usable instance; `own` is what its section sets itself.
    fn check(
        resolved: &Self::Resolved,
        own: &Self,
        section: &str,
        files: &mut dyn Files,
        w: &mut Vec<String>,
    );
}

/// The defaults and the named instances of one kind.
pub(super) struct Instances<R> {
    pub(super) defaults: R,
    pub(super) named: BTreeMap<String, R>,
}

impl<R: Instance> Default for Instances<R> {
    fn default() -> Self {
        Self {
            defaults: R::default(),
            named: BTreeMap::new(),
        }
    }
}

impl<R: Instance> Instances<R> {
    /// The section's own keys as defaults, its sub-tables as instances.
    pub(super) fn read(table: &Table, w: &mut Vec<String>) -> Result<Self, ConfigError> {
        let mut sec = Section::new(String::from(R::SECTION), table);
        let defaults = R::read(&mut sec)?;
        let mut named = BTreeMap::new();
        for (k, v) in in_key_order(table) {
            let Value::Table(t) = v else { continue };
            sec.mark_used(k);
            let path = sec.key(k);
            if Action::parse(&format!("store.{k}")).is_err() {
                w.push(format!(
                    "[{path}] can never be used: instance names are letters, digits, '_' and '-' (at most 64)"
                ));
                continue;
            }
            let mut inner = Section::new(path, t);
            named.insert(String::from(k), R::read(&mut inner)?);
            inner.finish(w);
        }
        sec.finish(w);
        Ok(Self { defaults, named })
    }

    /// Every usable instance. One that an action uses must be usable; one
    /// that none uses only gets a warning.
    pub(super) fn resolve(
        &self,
        uses: &Uses,
        files: &mut dyn Files,
        w: &mut Vec<String>,
    ) -> Result<BTreeMap<Option<String>, R::Resolved>, ConfigError> {
        let mut all = vec![(None, &self.defaults, self.defaults.clone())];
        all.extend(
            self.named
                .iter()
                .map(|(n, own)| (Some(n.clone()), own, own.over(&self.defaults))),
        );
        let mut out = BTreeMap::new();
        for (name, own, raw) in all {
            let section = section_name(R::SECTION, name.as_deref());
            match (raw.resolve(&section, files), uses.why(R::KIND, &name)) {
                (Ok(resolved), _) => {
                    R::check(&resolved, own, &section, files, w);
                    out.insert(name, resolved);
                }
                (Err(mut e), Some(why)) => {
                    e.reason = format!("{} ({why})", e.reason);
                    return Err(e);
                }
                (Err(_), None) if name.is_none() && raw.is_empty() => {}
                (Err(e), None) => w.push(format!(
                    "[{section}] is not usable, but no action uses it: {}: {}",
                    e.key.unwrap_or_default(),
                    e.reason
                )),
            }
        }
        Ok(out)
    }
}
