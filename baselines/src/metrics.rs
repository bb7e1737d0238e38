//! Ranking metrics over the 20 candidates (docs/objectives.md, metrics). With a scoring policy the arg-max over
//! the candidates is the equivalent of the paper's decode-and-match HitRatio@1.
use prefbench_vocabulary::{RankingMetrics, SampleRanks, CANDIDATES};
use tch::{Kind, Tensor};

/// Accumulates per-batch ranks so evaluation never holds all scores at once.
#[derive(Debug, Default)]
pub struct RankingAccumulator {
    hits1: f64,
    hits5: f64,
    ndcg5: f64,
    samples: usize,
    /// Every sample's 0-based rank, in split order.
    ranks: Vec<u8>,
}

impl RankingAccumulator {
    /// Adds one batch for every member of a stack: `scores` [M, B, 20] (one accumulator per
    /// member), `targets` [B] int64 index of the target among the candidates; one copy of the
    /// ranks to the host. A tie with the target counts against it (pessimistic), so a constant
    /// policy scores 0.
    pub fn add_members(accumulators: &mut [Self], scores: &Tensor, targets: &Tensor) {
        let (members, rows) = (accumulators.len() as i64, targets.size()[0]);
        let targets = targets.view([1, rows, 1]).expand([members, rows, 1], false);
        let target_score = scores.gather(2, &targets, false);
        let others_at_least =
            scores
                .ge_tensor(&target_score)
                .sum_dim_intlist(2, false, Kind::Int64)
                - 1;
        let ranks: Vec<i64> =
            Vec::try_from(others_at_least.reshape([-1]).to_device(tch::Device::Cpu))
                .expect("ranks are int64");
        for (accumulator, ranks) in accumulators.iter_mut().zip(ranks.chunks(rows as usize)) {
            accumulator.add_ranks(ranks);
        }
    }

    fn add_ranks(&mut self, ranks: &[i64]) {
        // A NaN target score compares false with everything, itself included (rank −1): a
        // diverged policy's target counts as ranked last, like a tie, never as a hit.
        let last = CANDIDATES as i64 - 1;
        for rank in ranks.iter().map(|&r| if r < 0 { last } else { r }) {
            if rank == 0 {
                self.hits1 += 1.0;
            }
            if rank < 5 {
                self.hits5 += 1.0;
                self.ndcg5 += 1.0 / ((rank + 2) as f64).log2();
            }
            self.ranks.push(rank as u8);
        }
        self.samples += ranks.len();
    }

    /// Every sample's rank so far, in the order the batches were added.
    pub fn ranks(&self) -> SampleRanks {
        SampleRanks::new(self.ranks.clone())
    }

    pub fn finish(&self) -> RankingMetrics {
        let n = self.samples.max(1) as f64;
        RankingMetrics {
            hr_at_1: self.hits1 / n,
            hr_at_5: self.hits5 / n,
            ndcg_at_5: self.ndcg5 / n,
            samples: self.samples,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(acc: &mut RankingAccumulator, scores: &Tensor, targets: &Tensor) {
        RankingAccumulator::add_members(std::slice::from_mut(acc), &scores.unsqueeze(0), targets);
    }

    #[test]
    fn each_member_of_a_stack_is_ranked_on_its_own_scores() {
        let mut scores = vec![0.0f32; 2 * 2 * 20];
        for (i, s) in scores.iter_mut().enumerate() {
            *s = (i % 20) as f32;
        }
        // Member 0 ranks candidate 19 first, member 1 (negated scores) candidate 0.
        let scores = Tensor::from_slice(&scores).view([2, 2, 20]);
        let scores = Tensor::stack(&[scores.get(0), -scores.get(1)], 0);
        let mut accs = [RankingAccumulator::default(), RankingAccumulator::default()];
        RankingAccumulator::add_members(&mut accs, &scores, &Tensor::from_slice(&[19i64, 19]));
        assert_eq!(accs[0].finish().hr_at_1, 1.0);
        assert_eq!(accs[1].finish().hr_at_1, 0.0);
        assert_eq!(accs[0].finish().samples, 2);
    }

    #[test]
    fn ranks_give_the_textbook_values() {
        // Target ranks 0, 1 and 6 (0-based).
        let mut scores = vec![0.0f32; 3 * 20];
        for (row, rank) in [0usize, 1, 6].into_iter().enumerate() {
            for j in 0..20 {
                scores[row * 20 + j] = -(j as f32);
            }
            scores[row * 20 + 19] = -(rank as f32) + 0.5;
        }
        let scores = Tensor::from_slice(&scores).view([3, 20]);
        let mut acc = RankingAccumulator::default();
        add(&mut acc, &scores, &Tensor::from_slice(&[19i64, 19, 19]));
        let r = acc.finish();
        assert_eq!(r.samples, 3);
        assert!((r.hr_at_1 - 1.0 / 3.0).abs() < 1e-12);
        assert!((r.hr_at_5 - 2.0 / 3.0).abs() < 1e-12);
        let ndcg = (1.0 + 1.0 / 3f64.log2()) / 3.0;
        assert!((r.ndcg_at_5 - ndcg).abs() < 1e-12);
        assert_eq!(acc.ranks().ranks(), &[0, 1, 6]);
    }

    #[test]
    fn ties_count_against_the_target() {
        let scores = Tensor::zeros([2, 20], (Kind::Float, tch::Device::Cpu));
        let mut acc = RankingAccumulator::default();
        add(&mut acc, &scores, &Tensor::from_slice(&[0i64, 5]));
        assert_eq!(acc.finish().hr_at_5, 0.0);
    }
}
