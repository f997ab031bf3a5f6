//! Shell jobs: CMD as argv (no shell) with the placeholders filled in per
//! argument, the optional STDIN template on stdin, killed after a timeout.

use std::io::{Read, Write as _};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use tracing::debug;

use samsung_host::outbox::Attempt;

use super::worker::{Failure, Runner, Stop};
use samsung_host::outbox::ShellValues;
use samsung_host::outbox::disk::{self, ShellSpec};

/// Bytes kept of the end of the command's stderr/stdout.
const TAIL: usize = 2048;
/// How long to wait for the output readers after the command ended
/// (a background grandchild may keep the pipes open).
const READER_GRACE: Duration = Duration::from_secs(1);

/// Fills `{sender}`, `{recipient}`, `{filename}`, `{subject}`, `{body}` like
/// Python's `str.format` in the reference (`{{` / `}}` are literal braces);
/// values are inserted verbatim, never re-scanned. Unknown names stay as written.
pub(crate) fn fill(template: &str, v: &ShellValues) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(pos) = rest.find(['{', '}']) {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('{')
            && let Some(end) = tail.find('}')
        {
            let value = match &tail[1..end] {
                "sender" => Some(&v.sender),
                "recipient" => Some(&v.recipient),
                "filename" => Some(&v.filename),
                "subject" => Some(&v.subject),
                "body" => Some(&v.body),
                _ => None,
            };
            if let Some(value) = value {
                out.push_str(value);
                rest = &tail[end + 1..];
                continue;
            }
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// One attempt at a shell job; Ok(summary) when the command exited 0.
pub(crate) fn run(a: &Runner<'_>, attempt: &Attempt, spec: &ShellSpec) -> Result<String, Stop> {
    let cfg = a.settings().shell.get(&spec.instance).ok_or_else(|| {
        Failure::permanent(format!(
            "no [{}] section in the configuration",
            disk::with_instance("SHELL", spec.instance.as_deref())
        ))
    })?;
    let argv: Vec<String> = cfg.cmd.iter().map(|t| fill(t, &spec.values)).collect();
    let Some((program, args)) = argv.split_first() else {
        return Err(Failure::permanent("CMD is empty").into());
    };
    let stdin = cfg.stdin.as_deref().map(|t| fill(t, &spec.values));
    let timeout = a.settings().shell_timeout;
    let run = execute(program, args, stdin, timeout, || a.stopping())
        .map_err(|e| Failure::transient(format!("cannot run {program}: {e}")))?;
    if !run.stdout.is_empty() {
        debug!(job = %attempt.job.id, "{program} wrote: {}", disk::excerpt(&run.stdout, 500));
    }
    match run.status {
        Some(s) if s.success() => Ok(String::from("command exited 0")),
        Some(s) => {
            let err = disk::excerpt(&run.stderr, 500);
            Err(Failure::transient(if err.is_empty() {
                format!("{program} {s}")
            } else {
                format!("{program} {s}: {err}")
            })
            .into())
        }
        None if run.interrupted => Err(Stop::Interrupted),
        None => Err(Failure::transient(format!(
            "{program} still running after {} s: killed",
            timeout.as_secs()
        ))
        .into()),
    }
}

/// How a command ended.
#[derive(Debug)]
struct Run {
    /// None: killed (timeout or shutdown).
    status: Option<ExitStatus>,
    interrupted: bool,
    stdout: String,
    stderr: String,
}

fn execute(
    program: &str,
    args: &[String],
    stdin: Option<String>,
    timeout: Duration,
    stopping: impl Fn() -> bool,
) -> std::io::Result<Run> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Writer and readers run beside the wait, so a full pipe cannot block either side.
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        thread::spawn(move || {
            // A command that does not read its stdin closes the pipe: not an error.
            let _ = pipe.write_all(text.as_bytes());
        });
    }
    let stdout = child.stdout.take().map(tail_reader);
    let stderr = child.stderr.take().map(tail_reader);
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(5);
    let mut interrupted = false;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        interrupted = stopping();
        if interrupted || Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    };
    let collect = |rx: Option<mpsc::Receiver<Vec<u8>>>| {
        rx.and_then(|rx| rx.recv_timeout(READER_GRACE).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    Ok(Run {
        status,
        interrupted,
        stdout: collect(stdout),
        stderr: collect(stderr),
    })
}

/// Reads a pipe to its end on a thread, keeping the last [`TAIL`] bytes.
fn tail_reader(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut kept = Vec::with_capacity(TAIL);
        let mut buf = [0u8; 4096];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    kept.extend_from_slice(&buf[..n]);
                    if kept.len() > TAIL {
                        kept.drain(..kept.len() - TAIL);
                    }
                }
            }
        }
        let _ = tx.send(kept);
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> ShellValues {
        ShellValues {
            sender: "cam@example.org".into(),
            recipient: "shell@bridge".into(),
            filename: "/up/SAM_0001.JPG".into(),
            subject: "Hi {body}".into(),
            body: "Text~alt".into(),
        }
    }

    #[test]
    fn fill_table() {
        let cases: &[(&str, &str)] = &[
            ("{filename}", "/up/SAM_0001.JPG"),
            ("--from={sender}", "--from=cam@example.org"),
            ("{subject}", "Hi {body}"),
            ("{{literal}} {body}", "{literal} Text~alt"),
            ("{unknown} {", "{unknown} {"),
            ("}", "}"),
            ("{recipient}{recipient}", "shell@bridgeshell@bridge"),
            ("", ""),
            ("äöü {sender}", "äöü cam@example.org"),
        ];
        for (t, expect) in cases {
            assert_eq!(fill(t, &values()), *expect, "{t}");
        }
    }

    #[test]
    fn execute_collects_status_and_output() {
        let args: Vec<String> = ["-c", "cat; echo err >&2; exit 3"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let run = execute(
            "/bin/sh",
            &args,
            Some("in".into()),
            Duration::from_secs(10),
            || false,
        )
        .unwrap();
        assert_eq!(run.status.and_then(|s| s.code()), Some(3));
        assert_eq!(run.stdout, "in");
        assert_eq!(run.stderr, "err\n");

        let args: Vec<String> = ["-c", "sleep 5"].iter().map(|s| s.to_string()).collect();
        let t0 = Instant::now();
        let run = execute("/bin/sh", &args, None, Duration::from_millis(200), || false).unwrap();
        assert!(run.status.is_none() && !run.interrupted);
        assert!(t0.elapsed() < Duration::from_secs(4));

        assert!(
            execute(
                "/nonexistent/cmd",
                &[],
                None,
                Duration::from_secs(1),
                || false
            )
            .is_err()
        );
    }
}
