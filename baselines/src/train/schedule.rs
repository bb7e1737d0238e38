//! Learning-rate schedules: the paper's protocol (linear warm-up, then cosine decay to 0) and a
//! constant rate after the warm-up, the setting of common DPO reference implementations.
use prefbench_vocabulary::Schedule;

/// Learning rate at `step` (0-based) of `total` steps under `schedule`.
pub fn learning_rate(
    schedule: Schedule,
    base: f64,
    step: usize,
    total: usize,
    warmup_share: f64,
) -> f64 {
    match schedule {
        Schedule::Cosine => cosine_with_warmup(base, step, total, warmup_share),
        Schedule::Constant => {
            let warmup = ((total as f64) * warmup_share).ceil() as usize;
            base * ((step + 1) as f64 / warmup.max(1) as f64).min(1.0)
        }
    }
}

/// Learning rate at `step` (0-based) of `total` steps.
fn cosine_with_warmup(base: f64, step: usize, total: usize, warmup_share: f64) -> f64 {
    let warmup = ((total as f64) * warmup_share).ceil() as usize;
    if step < warmup {
        return base * (step + 1) as f64 / warmup as f64;
    }
    let span = (total - warmup).max(1) as f64;
    let progress = (step - warmup) as f64 / span;
    base * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
}

#[cfg(test)]
mod tests {
    use super::{cosine_with_warmup, learning_rate, Schedule};

    #[test]
    fn warms_up_then_decays() {
        let lr = |s| cosine_with_warmup(1.0, s, 100, 0.05);
        assert!((lr(0) - 0.2).abs() < 1e-12);
        assert!((lr(4) - 1.0).abs() < 1e-12);
        assert!((lr(5) - 1.0).abs() < 1e-12);
        assert!((lr(5 + 95 / 2) - 0.5).abs() < 0.02);
        assert!(lr(99) < 0.001);
        assert!((cosine_with_warmup(1.0, 0, 10, 0.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn constant_warms_up_then_stays() {
        let lr = |s| learning_rate(Schedule::Constant, 2.0, s, 100, 0.05);
        assert!((lr(0) - 0.4).abs() < 1e-12);
        assert!((lr(4) - 2.0).abs() < 1e-12);
        assert!((lr(99) - 2.0).abs() < 1e-12);
        assert!((learning_rate(Schedule::Constant, 2.0, 0, 10, 0.0) - 2.0).abs() < 1e-12);
    }
}
