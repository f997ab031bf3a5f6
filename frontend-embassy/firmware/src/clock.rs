//! mbedtls's clocks: monotonic milliseconds for its timeouts, and the wall
//! clock that certificate dates are checked against. The wall clock is
//! unknown until SNTP sets it, and mbedtls then refuses every certificate
//! (fails closed) rather than accept an expired one.

use core::cell::Cell;

use critical_section::Mutex;
use mbedtls_rs::sys::hook::timer::{MbedtlsTimer, hook_timer};
use mbedtls_rs::sys::hook::wall_clock::{MbedtlsWallClock, hook_wall_clock};
use mbedtls_rs::sys::{mbedtls_ms_time_t, tm};
use samsung_core::time::CivilTime;

/// Unix milliseconds at uptime 0, once SNTP knows them. The app keeps its
/// own copy; this one is reachable from mbedtls's C callbacks.
static UNIX_AT_BOOT: Mutex<Cell<Option<u64>>> = Mutex::new(Cell::new(None));

struct Uptime;

impl MbedtlsTimer for Uptime {
    fn now(&self) -> mbedtls_ms_time_t {
        embassy_time::Instant::now().as_millis() as mbedtls_ms_time_t
    }
}

struct WallClock;

impl MbedtlsWallClock for WallClock {
    fn instant(&self) -> Option<tm> {
        let at_boot = critical_section::with(|cs| UNIX_AT_BOOT.borrow(cs).get())?;
        Some(to_tm(at_boot + embassy_time::Instant::now().as_millis()))
    }
}

static UPTIME: Uptime = Uptime;
static WALL_CLOCK: WallClock = WallClock;

/// Installs both clocks; call once, before the first TLS session.
pub fn install() {
    // SAFETY: the hooks are `'static`, installed once at start-up before
    // mbedtls runs, and only read clock state behind a critical section.
    unsafe {
        hook_timer(Some(&UPTIME));
        hook_wall_clock(Some(&WALL_CLOCK));
    }
}

/// Sets the wall clock: `unix_millis` is now.
pub fn set(unix_millis: u64) {
    let at_boot = unix_millis.saturating_sub(embassy_time::Instant::now().as_millis());
    critical_section::with(|cs| UNIX_AT_BOOT.borrow(cs).set(Some(at_boot)));
}

/// C's broken-down UTC time; mbedtls reads year to second of it.
fn to_tm(unix_millis: u64) -> tm {
    let c = CivilTime::from_unix_millis(unix_millis);
    let days = unix_millis / 86_400_000;
    let jan1 = CivilTime {
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        millis: 0,
        ..c
    };
    let yday = jan1
        .to_unix_millis()
        .map_or(0, |start| days - start / 86_400_000);
    tm {
        tm_sec: c.second as i32,
        tm_min: c.minute as i32,
        tm_hour: c.hour as i32,
        tm_mday: c.day as i32,
        tm_mon: c.month as i32 - 1,
        tm_year: (c.year - 1900) as i32,
        // 1970-01-01 was a Thursday.
        tm_wday: ((days + 4) % 7) as i32,
        tm_yday: yday as i32,
        tm_isdst: 0,
    }
}
