//! How the pending runs of one (dataset, policy) are cut into stacks (`po.ensemble`): which
//! groups train together, how many runs a stack may hold, and as few, as even stacks as that
//! allows. Pure, so a plan is the
//! same on every machine that sees the same budget.
use prefbench_vocabulary::Ensemble;

use super::matrix::Group;

/// On CPU, `auto` trains every run alone: no stack size has measured a gain there (2 cores,
/// `prefbench bench po-step --stacks`: 0.98× at 6 LastFM-sized runs, slower beyond as a
/// member's working set leaves the caches), and a run alone keeps its own step times for C6
/// (docs/design.md, "Stacks"). `po.ensemble: N` still stacks on the CPU.
pub const CPU_STACK: usize = 1;

/// The most runs one stack may hold under `ensemble`, for runs of `member_bytes` each within
/// `budget` bytes; at least 1. An explicit `N` is taken as given.
pub fn most_members(ensemble: Ensemble, budget: u64, member_bytes: u64, cpu: bool) -> usize {
    match ensemble {
        Ensemble::Off => 1,
        Ensemble::Members(n) => n.max(1),
        Ensemble::Auto => {
            let fits = usize::try_from(budget / member_bytes.max(1)).unwrap_or(usize::MAX);
            let fits = fits.max(1);
            if cpu {
                fits.min(CPU_STACK)
            } else {
                fits
            }
        }
    }
}

/// The sizes of as few stacks as hold `runs` with at most `most` each, as even as possible
/// (the larger first): 245 runs at most 100 a stack → 82, 82, 81.
pub fn sizes(runs: usize, most: usize) -> Vec<usize> {
    if runs == 0 {
        return Vec::new();
    }
    let stacks = runs.div_ceil(most.max(1));
    let (each, larger) = (runs / stacks, runs % stacks);
    (0..stacks)
        .map(|i| each + usize::from(i < larger))
        .collect()
}

/// The groups that train together: each group alone with `po.ensemble: off`, else the groups
/// of one (dataset, policy), in order of first appearance.
pub fn families<'g, 'a>(groups: &'g [Group<'a>], ensemble: Ensemble) -> Vec<Vec<&'g Group<'a>>> {
    let mut families: Vec<Vec<&Group>> = Vec::new();
    for group in groups {
        let together = |f: &&mut Vec<&Group>| {
            ensemble != Ensemble::Off && f[0].dataset == group.dataset && f[0].model == group.model
        };
        match families.iter_mut().find(together) {
            Some(family) => family.push(group),
            None => families.push(vec![group]),
        }
    }
    families
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_the_groups_of_one_dataset_and_policy_unless_off() {
        let config = crate::config::ExperimentConfig::preset("lastfm-quick").unwrap();
        let hashes: Vec<(String, String)> = config
            .datasets
            .iter()
            .map(|d| (d.clone(), String::new()))
            .collect();
        let runs = super::super::matrix::expand(&config, &hashes);
        let groups = super::super::matrix::groups(&runs);
        let together = families(&groups, Ensemble::Auto);
        // lastfm-quick: one dataset, two policies, three seeds.
        assert_eq!((groups.len(), together.len()), (6, 2));
        for family in &together {
            assert!(family.iter().all(|g| g.model == family[0].model));
            assert_eq!(family.len(), 3, "every seed of the policy");
        }
        let alone = families(&groups, Ensemble::Off);
        assert_eq!(alone.len(), groups.len());
        assert!(alone.iter().all(|f| f.len() == 1));
    }

    #[test]
    fn stacks_are_as_few_and_as_even_as_allowed() {
        assert_eq!(sizes(245, 100), [82, 82, 81]);
        assert_eq!(sizes(245, 245), [245]);
        assert_eq!(sizes(7, 1), [1; 7]);
        assert_eq!(sizes(9, 8), [5, 4]);
        assert_eq!(sizes(0, 8), Vec::<usize>::new());
        for runs in 1..60 {
            for most in 1..20 {
                let s = sizes(runs, most);
                assert_eq!(s.iter().sum::<usize>(), runs);
                assert_eq!(s.len(), runs.div_ceil(most));
                assert!(s.iter().all(|&n| n <= most && n + 1 >= s[0]), "{s:?}");
            }
        }
    }

    #[test]
    fn the_budget_bounds_auto_and_the_cpu_trains_runs_alone() {
        let mib = 1 << 20;
        assert_eq!(
            most_members(Ensemble::Auto, 1000 * mib, 10 * mib, false),
            100
        );
        assert_eq!(most_members(Ensemble::Auto, 1000 * mib, 10 * mib, true), 1);
        assert_eq!(most_members(Ensemble::Members(8), 1000 * mib, mib, true), 8);
        assert_eq!(most_members(Ensemble::Auto, 5 * mib, 10 * mib, false), 1);
        assert_eq!(most_members(Ensemble::Off, 1000 * mib, mib, false), 1);
        assert_eq!(
            most_members(Ensemble::Members(300), mib, 10 * mib, true),
            300
        );
    }
}
