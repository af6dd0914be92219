//! Running uploaded images through the pipeline on the blocking pool, and how many at once:
//! each job's header is inspected (on one of the CPU slots, one per core), then the job
//! reserves its estimated peak memory (see `pingme_media::Plan`) from a budget shared by all
//! jobs, and a CPU slot again. A job larger than the whole budget could never start, and is
//! refused.

use bytes::Bytes;
use pingme_media::{Plan, Processed, Purpose, Rejection};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The budget is counted in MiB: a semaphore holds at most `u32::MAX >> 3` permits.
const UNIT: u64 = 1024 * 1024;

pub struct ImageJobs {
    /// One permit per MiB of the budget.
    memory: Arc<Semaphore>,
    budget: u64,
    /// One permit per core: decoding is CPU work.
    cpu: Arc<Semaphore>,
}

/// What a running job holds; dropped when it ends, which returns the memory and the slot.
pub struct Admission {
    _memory: OwnedSemaphorePermit,
    _cpu: OwnedSemaphorePermit,
}

impl ImageJobs {
    pub fn new(budget: u64, cores: usize) -> Self {
        let permits = usize::try_from(budget / UNIT)
            .unwrap_or(usize::MAX)
            .min(Semaphore::MAX_PERMITS);
        Self {
            memory: Arc::new(Semaphore::new(permits)),
            budget,
            cpu: Arc::new(Semaphore::new(cores.max(1))),
        }
    }

    /// Inspects, waits for room, then processes an uploaded image. What a step holds moves
    /// into its blocking task: should the request be dropped meanwhile, the step keeps its
    /// memory and its core until it really ends.
    pub async fn process(
        &self,
        bytes: Bytes,
        purpose: Purpose,
        max_bytes: usize,
    ) -> Result<Processed, Rejection> {
        let core = self.core().await?;
        let header = bytes.clone();
        let plan = blocking(move || {
            let _core = core;
            pingme_media::inspect(&header, purpose, max_bytes)
        })
        .await?;
        let admission = self.admit(&plan).await?;
        blocking(move || {
            let _held = admission;
            plan.process(&bytes)
        })
        .await
    }

    /// A CPU slot, for reading a header: cheap, but not free (a GIF's frame descriptors, a
    /// PNG's compressed metadata up to the header's allocation limit).
    async fn core(&self) -> Result<OwnedSemaphorePermit, Rejection> {
        // Only a closed semaphore fails, and these are never closed.
        self.cpu
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Rejection::Unprocessable)
    }

    /// Waits until the job's estimated peak fits in what other jobs leave of the budget, and
    /// a core is free.
    pub async fn admit(&self, plan: &Plan) -> Result<Admission, Rejection> {
        let needed = plan.peak_bytes();
        let over = Rejection::OverBudget {
            needed,
            budget: self.budget,
        };
        let units = u32::try_from(needed.div_ceil(UNIT)).map_err(|_| Rejection::Unprocessable)?;
        if u64::from(units) * UNIT > self.budget {
            return Err(over);
        }
        // Memory first: a job waiting for memory holds no core that others could use.
        let memory = self.memory.clone().acquire_many_owned(units).await;
        let memory = memory.map_err(|_| Rejection::Unprocessable)?;
        Ok(Admission {
            _memory: memory,
            _cpu: self.core().await?,
        })
    }
}

/// Runs a step of the pipeline on the blocking pool.
async fn blocking<T: Send + 'static>(
    step: impl FnOnce() -> Result<T, Rejection> + Send + 'static,
) -> Result<T, Rejection> {
    match tokio::task::spawn_blocking(step).await {
        Ok(outcome) => outcome,
        // A decoder that panics on some input is still a bad file, not a server error.
        Err(panicked) => {
            tracing::error!(error = %panicked, "image pipeline panicked");
            Err(Rejection::Unprocessable)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use pingme_media::fixtures;
    use pingme_media::{Purpose, inspect};

    fn plan(width: u32, height: u32) -> Plan {
        let bytes = fixtures::png_header_only(width, height);
        inspect(&bytes, Purpose::Icon, 1 << 20).expect("a plan")
    }

    #[tokio::test]
    async fn a_job_larger_than_the_whole_budget_is_refused_at_once() {
        let jobs = ImageJobs::new(64 * UNIT, 2);
        let big = plan(6000, 6000);
        assert!(matches!(
            jobs.admit(&big).await,
            Err(Rejection::OverBudget { budget, .. }) if budget == 64 * UNIT
        ));
    }

    #[tokio::test]
    async fn jobs_wait_while_the_budget_is_taken() {
        let one = plan(2000, 2000);
        let budget = one.peak_bytes().div_ceil(UNIT) * UNIT * 3 / 2;
        let jobs = ImageJobs::new(budget, 4);
        let first = jobs.admit(&one).await.expect("fits");
        let mut second = Box::pin(jobs.admit(&one));
        assert!(
            (&mut second).now_or_never().is_none(),
            "a second job does not fit beside the first"
        );
        drop(first);
        assert!(second.await.is_ok(), "admitted once the first is done");
    }
}
