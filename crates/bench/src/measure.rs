//! Time windows, counters, latency histograms, and what /proc says about CPU and memory.

use hdrhistogram::Histogram;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A run's timeline: warm-up, then the measured window, then the end.
#[derive(Clone, Copy)]
pub struct Window {
    pub origin: Instant,
    pub from: Instant,
    pub until: Instant,
}

impl Window {
    pub fn starting_now(warmup: Duration, duration: Duration) -> Self {
        let origin = Instant::now();
        Self {
            origin,
            from: origin + warmup,
            until: origin + warmup + duration,
        }
    }

    pub fn contains(&self, at: Instant) -> bool {
        at >= self.from && at < self.until
    }

    pub fn over(&self) -> bool {
        Instant::now() >= self.until
    }

    pub fn seconds(&self) -> f64 {
        (self.until - self.from).as_secs_f64()
    }

    /// Nanoseconds since the origin: the timestamp carried in messages.
    pub fn stamp(&self, at: Instant) -> u64 {
        u64::try_from((at - self.origin).as_nanos()).unwrap_or(u64::MAX)
    }

    pub fn instant(&self, stamp: u64) -> Instant {
        self.origin + Duration::from_nanos(stamp)
    }
}

/// Latencies in microseconds, from 1 µs to 10 minutes, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds")
}

pub fn micros(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_micros())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// Counters shared by a run's tasks, read by the progress line.
#[derive(Default)]
pub struct Counters {
    /// Requests answered, or frames received.
    pub done: AtomicU64,
    /// Messages sent.
    pub sent: AtomicU64,
    pub errors: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Prints one progress line a second to standard error until the window is over.
pub fn progress(
    counters: Arc<Counters>,
    window: Window,
    what: &'static str,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        let (mut done, mut sent) = (0, 0);
        while !window.over() {
            tick.tick().await;
            let (now_done, now_sent) =
                (Counters::get(&counters.done), Counters::get(&counters.sent));
            let phase = if Instant::now() < window.from {
                "warm-up"
            } else {
                "measuring"
            };
            eprintln!(
                "[{:>4.0}s {phase}] {:>10} {what}/s  {:>8} sent/s  {} errors",
                window.origin.elapsed().as_secs_f64(),
                now_done - done,
                now_sent - sent,
                Counters::get(&counters.errors),
            );
            (done, sent) = (now_done, now_sent);
        }
    })
}

/// CPU time of a process, in seconds: user plus system, from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: count fields after its closing parenthesis.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux architecture that matters.
    Some(ticks / 100.0)
}

/// Resident memory of a process in KiB, from `/proc/<pid>/status`.
pub fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU use of a process over a stretch of time, as a percentage of one core.
pub struct CpuMeter {
    pid: String,
    started: Instant,
    seconds: Option<f64>,
}

impl CpuMeter {
    pub fn start(pid: impl ToString) -> Self {
        let pid = pid.to_string();
        let seconds = cpu_seconds(&pid);
        Self {
            pid,
            started: Instant::now(),
            seconds,
        }
    }

    pub fn percent(&self) -> Option<f64> {
        let used = cpu_seconds(&self.pid)? - self.seconds?;
        Some(100.0 * used / self.started.elapsed().as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_cpu_time_and_a_resident_size() {
        assert!(cpu_seconds("self").is_some());
        assert!(rss_kib("self").unwrap() > 0);
    }

    #[test]
    fn stamps_go_back_to_instants() {
        let window = Window::starting_now(Duration::from_secs(1), Duration::from_secs(2));
        let at = window.origin + Duration::from_millis(1500);
        assert_eq!(window.instant(window.stamp(at)), at);
        assert!(window.contains(at) && !window.contains(window.origin));
        assert_eq!(window.seconds(), 2.0);
    }
}
