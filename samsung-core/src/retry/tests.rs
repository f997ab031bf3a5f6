use super::*;
use proptest::prelude::*;

const MID: u32 = u32::MAX / 2;

fn policy() -> RetryPolicy {
    RetryPolicy::default()
}

#[test]
fn backoff_doubles_from_base_and_caps() {
    let secs: alloc::vec::Vec<u64> = (1..=10)
        .map(|n| policy().backoff(n, MID).as_millis() / 1000)
        .collect();
    assert_eq!(secs, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
    assert_eq!(policy().backoff(1, MID), Duration::from_millis(2000));
    assert_eq!(policy().backoff(u32::MAX, MID), DEFAULT_CAP);
    // Attempt 0 (never counted) is treated as the first.
    assert_eq!(policy().backoff(0, MID), DEFAULT_BASE);
}

#[test]
fn the_smallest_base_still_waits() {
    let p = RetryPolicy {
        base: Duration::from_millis(1),
        cap: Duration::from_millis(1),
        ..policy()
    };
    assert_eq!(p.backoff(1, 0), Duration::from_millis(1));
    assert_eq!(p.backoff(1, u32::MAX), Duration::from_millis(1));
}

#[test]
fn jitter_spans_plus_minus_twenty_percent() {
    assert_eq!(policy().backoff(1, 0), Duration::from_millis(1600));
    assert_eq!(policy().backoff(1, u32::MAX), Duration::from_millis(2400));
    assert_eq!(
        policy().backoff(20, u32::MAX),
        Duration::from_millis(360_000)
    );
}

#[test]
fn http_and_smtp_answers_are_classified() {
    for (status, kind) in [
        (200, None),
        (202, None),
        (301, Some(FailureKind::Permanent)),
        (400, Some(FailureKind::Permanent)),
        (401, Some(FailureKind::Permanent)),
        (404, Some(FailureKind::Permanent)),
        (408, Some(FailureKind::Transient)),
        (422, Some(FailureKind::Permanent)),
        (425, Some(FailureKind::Transient)),
        (429, Some(FailureKind::Transient)),
        (500, Some(FailureKind::Transient)),
        (503, Some(FailureKind::Transient)),
        (599, Some(FailureKind::Transient)),
        (600, Some(FailureKind::Permanent)),
    ] {
        assert_eq!(http_status_kind(status), kind, "HTTP {status}");
    }
    assert_eq!(smtp_reply_kind(421), FailureKind::Transient);
    assert_eq!(smtp_reply_kind(451), FailureKind::Transient);
    assert_eq!(smtp_reply_kind(550), FailureKind::Permanent);
    assert_eq!(smtp_reply_kind(554), FailureKind::Permanent);
    assert_eq!(smtp_failure_kind(None, false), FailureKind::Transient);
    assert_eq!(smtp_failure_kind(Some(451), false), FailureKind::Transient);
    assert_eq!(smtp_failure_kind(Some(550), false), FailureKind::Permanent);
    assert_eq!(smtp_failure_kind(None, true), FailureKind::Permanent);
    assert_eq!(smtp_failure_kind(Some(451), true), FailureKind::Permanent);
}

#[test]
fn permanent_failures_are_given_up_at_once() {
    let now = Instant::from_millis(1_000);
    let f = Failure::permanent("HTTP 401: The access token is invalid");
    assert_eq!(policy().decide(now, 1, &f, MID), Decision::GiveUp);
}

#[test]
fn transient_failures_retry_after_the_backoff() {
    let now = Instant::from_millis(1_000);
    let f = Failure::transient("HTTP 503");
    assert_eq!(
        policy().decide(now, 3, &f, MID),
        Decision::Retry {
            at: Instant::from_millis(9_000),
            delay: Duration::from_secs(8),
        }
    );
}

#[test]
fn retry_after_lengthens_but_never_shortens_and_is_capped() {
    let now = Instant::from_millis(0);
    let short = Failure::transient("429").with_retry_after(Some(Duration::from_secs(1)));
    let long = Failure::transient("429").with_retry_after(Some(Duration::from_secs(90)));
    let huge = Failure::transient("429").with_retry_after(Some(Duration::from_secs(86_400)));
    let delay = |f: &Failure| match policy().decide(now, 1, f, MID) {
        Decision::Retry { delay, .. } => delay,
        Decision::GiveUp => panic!("gave up on a transient failure"),
    };
    assert_eq!(delay(&short), Duration::from_secs(2));
    assert_eq!(delay(&long), Duration::from_secs(90));
    assert_eq!(delay(&huge), DEFAULT_MAX_RETRY_AFTER);
}

#[test]
fn a_limited_policy_gives_up_after_max_attempts_in_a_round() {
    let p = RetryPolicy {
        max_attempts: Some(3),
        ..policy()
    };
    let f = Failure::transient("exit status 1");
    let now = Instant::from_millis(0);
    assert!(matches!(p.decide(now, 2, &f, MID), Decision::Retry { .. }));
    assert_eq!(p.decide(now, 3, &f, MID), Decision::GiveUp);
    // 0 means "one attempt", not "unlimited".
    let once = RetryPolicy {
        max_attempts: Some(0),
        ..policy()
    };
    assert_eq!(once.decide(now, 1, &f, MID), Decision::GiveUp);
}

#[test]
fn state_counts_attempts_and_records_the_outcome() {
    let mut st = RetryState::default();
    assert!(st.is_queued());
    st.begin_attempt();
    let d = st.fail(
        Instant::from_millis(10_000),
        &Failure::transient("connection refused"),
        &policy(),
        MID,
    );
    assert_eq!(
        d,
        Decision::Retry {
            at: Instant::from_millis(12_000),
            delay: Duration::from_secs(2)
        }
    );
    assert_eq!(st.due(), Instant::from_millis(12_000));
    assert_eq!(st.last_error.as_deref(), Some("connection refused"));
    assert!(st.is_queued());

    st.begin_attempt();
    st.interrupt("interrupted by shutdown");
    assert_eq!(
        (st.attempts, st.round_attempts, st.next_attempt_ms),
        (1, 1, 0)
    );

    st.begin_attempt();
    assert_eq!(
        st.fail(
            Instant::from_millis(20_000),
            &Failure::permanent("HTTP 422"),
            &policy(),
            MID
        ),
        Decision::GiveUp
    );
    assert!(st.failed && !st.is_queued());

    st.requeue();
    assert!(st.is_queued());
    assert_eq!((st.attempts, st.round_attempts), (2, 0));
    st.begin_attempt();
    st.succeed(Instant::from_millis(30_000), "status https://x/1");
    assert!(st.is_done());
    assert_eq!(st.done_ms, Some(30_000));
    assert_eq!(st.last_error, None);
}

#[test]
fn durations_convert_to_and_from_core_time() {
    let d: Duration = core::time::Duration::from_micros(2_500_999).into();
    assert_eq!(d, Duration::from_millis(2_500));
    let back: core::time::Duration = Duration::from_secs(3).into();
    assert_eq!(back, core::time::Duration::from_secs(3));
}

proptest! {
    /// Delays never shrink as failures repeat (same jitter), stay within
    /// ±20 % of the capped exponential, and a retry is always in the future
    /// (also for a 1 ms base, where 0.8 × 1 ms would round to nothing).
    #[test]
    fn backoff_is_monotone_and_bounded(
        base_ms in 1u64..10_000,
        cap_ms in 1u64..1_000_000,
        jitter: u32,
        n in 1u32..64,
        now in 0u64..1u64 << 50,
    ) {
        let p = RetryPolicy {
            base: Duration::from_millis(base_ms),
            cap: Duration::from_millis(cap_ms),
            ..RetryPolicy::default()
        };
        let a = p.backoff(n, jitter).as_millis();
        let b = p.backoff(n + 1, jitter).as_millis();
        prop_assert!(a <= b);
        let exp = base_ms.saturating_mul(1u64 << (n - 1).min(30)).min(cap_ms);
        // ±20 %, in whole milliseconds (rounded down), never 0.
        prop_assert!(a >= (exp * 8 / 10).max(1) && a <= (exp * 12 / 10).max(1));
        let f = Failure::transient("x");
        match p.decide(Instant::from_millis(now), n, &f, jitter) {
            Decision::Retry { at, delay } => {
                prop_assert_eq!(at.as_millis(), now + delay.as_millis());
                prop_assert!(delay.as_millis() > 0);
            }
            Decision::GiveUp => prop_assert!(false, "gave up on a transient failure"),
        }
    }
}
