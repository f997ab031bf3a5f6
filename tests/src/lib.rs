//! Conformance suite helpers.
