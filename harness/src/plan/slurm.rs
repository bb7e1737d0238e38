//! `--shard slurm`: the shard of a Slurm job-array task, read from the variables Slurm sets in
//! every task, so a job script needs no shard arithmetic of its own (scripts/slurm/paper.sbatch).
//! Pure: the caller hands in how to look a variable up.
use std::str::FromStr;

use super::shard::Shard;

/// What `--shard` takes: a part named by hand, or the part of this Slurm array task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardChoice {
    Part(Shard),
    Slurm,
}

impl FromStr for ShardChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "slurm" => Ok(Self::Slurm),
            _ => s
                .parse()
                .map(Self::Part)
                .map_err(|e| format!("{e}, or `slurm` inside a Slurm job array")),
        }
    }
}

impl ShardChoice {
    /// The part this process runs; `var` looks up an environment variable.
    pub fn resolve(self, var: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        match self {
            Self::Part(shard) => Ok(shard),
            Self::Slurm => array_task(var),
        }
    }
}

/// Part I of N for the task of a Slurm array: N is the array's task count and I the task's
/// place in it, counted from 1 whatever index the array starts at (`--array=0-3` and
/// `--array=1-4` both give 1/4 … 4/4), since `--shard I/N` is 1-based. The array must be one
/// contiguous range: with gaps or a step (`--array=1,3` or `0-8:2`) the task ids are not the
/// places, and guessing would run one part twice and another never.
fn array_task(var: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
    let read = |name: &str| -> Result<usize, String> {
        let value = var(name).ok_or_else(|| {
            format!(
                "--shard slurm: {name} is not set, so this is not a task of a Slurm job array; \
                 submit with `sbatch --array=1-N` (see scripts/slurm/paper.sbatch), or pass \
                 --shard I/N"
            )
        })?;
        value
            .trim()
            .parse()
            .map_err(|_| format!("--shard slurm: {name}={value} is not a task index or count"))
    };
    let id = read("SLURM_ARRAY_TASK_ID")?;
    let count = read("SLURM_ARRAY_TASK_COUNT")?;
    let (min, max) = (read("SLURM_ARRAY_TASK_MIN")?, read("SLURM_ARRAY_TASK_MAX")?);
    if count == 0 || max < min || max - min + 1 != count {
        return Err(format!(
            "--shard slurm: the array has {count} task(s) with ids {min} to {max}, not one \
             contiguous range; submit `--array={min}-{}` (one task per shard), or pass \
             --shard I/N",
            min + count.max(1) - 1
        ));
    }
    if !(min..=max).contains(&id) {
        return Err(format!(
            "--shard slurm: task id {id} is outside the array's ids {min} to {max}"
        ));
    }
    Ok(Shard {
        index: id - min + 1,
        count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, count: &str, min: &str, max: &str) -> Result<Shard, String> {
        let vars = [
            ("SLURM_ARRAY_TASK_ID", id),
            ("SLURM_ARRAY_TASK_COUNT", count),
            ("SLURM_ARRAY_TASK_MIN", min),
            ("SLURM_ARRAY_TASK_MAX", max),
        ];
        ShardChoice::Slurm.resolve(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_place_in_the_array_counts_from_one_whatever_the_first_index() {
        let part = |index, count| Ok(Shard { index, count });
        assert_eq!(task("1", "4", "1", "4"), part(1, 4));
        assert_eq!(task("4", "4", "1", "4"), part(4, 4));
        assert_eq!(task("0", "4", "0", "3"), part(1, 4), "--array=0-3");
        assert_eq!(task("3", "4", "0", "3"), part(4, 4));
        assert_eq!(task("12", "3", "10", "12"), part(3, 3), "--array=10-12");
    }

    #[test]
    fn outside_an_array_or_over_gaps_it_refuses_saying_what_to_do() {
        let outside = ShardChoice::Slurm.resolve(|_| None).unwrap_err();
        assert!(
            outside.contains("SLURM_ARRAY_TASK_ID is not set")
                && outside.contains("sbatch --array=1-N")
                && outside.contains("--shard I/N"),
            "{outside}"
        );
        let gaps = task("3", "2", "1", "3").unwrap_err();
        assert!(
            gaps.contains("not one contiguous range") && gaps.contains("--array=1-2"),
            "{gaps}"
        );
        let bad = task("x", "4", "1", "4").unwrap_err();
        assert!(bad.contains("SLURM_ARRAY_TASK_ID=x"), "{bad}");
        assert!(task("5", "4", "1", "4").unwrap_err().contains("outside"));
    }

    #[test]
    fn a_part_by_hand_needs_no_slurm_and_bad_text_names_both_forms() {
        let part = "2/5".parse::<ShardChoice>().unwrap();
        assert_eq!(part.resolve(|_| None), Ok(Shard { index: 2, count: 5 }));
        assert_eq!(" slurm".parse(), Ok(ShardChoice::Slurm));
        let err = "sl".parse::<ShardChoice>().unwrap_err();
        assert!(err.contains("I/N") && err.contains("`slurm`"), "{err}");
    }
}
