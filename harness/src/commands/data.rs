//! `prefbench data list|fetch|verify|prepare|card`: the datasets crate behind a CLI.
use std::path::PathBuf;

use anyhow::{Context, Result};
use prefbench_datasets::{fetch_dataset, verify_dataset, Registry};
use prefbench_datasets::{prepare, DatasetCard, FetchOptions, Mirror, PrepareOptions, Split};

use crate::console::{errln, outln};
use crate::signals;
use crate::stop::StopToken;

#[derive(clap::Subcommand)]
pub enum DataCommand {
    /// List the known datasets, their files and whether each is in the cache.
    List {
        #[command(flatten)]
        cache: CacheArg,
    },
    /// Download and verify a dataset's files into the cache.
    Fetch {
        name: String,
        #[command(flatten)]
        fetch: FetchArgs,
    },
    /// Re-hash a dataset's cached files against their pinned or locked sha256.
    Verify {
        name: String,
        #[command(flatten)]
        cache: CacheArg,
    },
    /// Fetch, verify and prepare a dataset (cached); prints a summary of its card.
    Prepare {
        name: String,
        #[command(flatten)]
        fetch: FetchArgs,
        /// For the datasets read from archive members: a directory with them extracted,
        /// instead of the archive (lastfm-raw, lastfm-dated: artists.dat and
        /// user_taggedartists.dat, whose archive hash then cannot be checked; movielens-llara,
        /// movielens-loo: u.data and u.item, each checked against its own sha256).
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
    },
    /// Print a prepared dataset's card as JSON (prepares it first when needed).
    Card {
        name: String,
        #[command(flatten)]
        fetch: FetchArgs,
        /// As for `prepare`.
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
    },
}

#[derive(clap::Args, Default)]
pub struct CacheArg {
    /// Cache directory [default: $PREFBENCH_CACHE or the platform cache directory].
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
}

#[derive(clap::Args, Default)]
pub struct FetchArgs {
    #[command(flatten)]
    cache: CacheArg,
    /// Use the cache only; list what is missing.
    #[arg(long)]
    offline: bool,
    /// Fetch the same file names from this base URL or local directory (still verified);
    /// URLs must be https (plain http only on 127.0.0.1 / localhost).
    #[arg(long, value_name = "URL|DIR", value_parser = Mirror::parse)]
    mirror: Option<Mirror>,
    /// Refuse files whose sha256 is neither pinned nor recorded in datasets.lock (for CI).
    #[arg(long)]
    locked: bool,
}

impl CacheArg {
    fn options(&self) -> FetchOptions {
        FetchOptions::new(
            self.cache
                .clone()
                .unwrap_or_else(prefbench_datasets::default_cache_dir),
        )
    }
}

impl FetchArgs {
    /// The download settings these flags ask for (`prefbench run` takes the same flags).
    pub fn options(&self) -> FetchOptions {
        FetchOptions {
            offline: self.offline,
            mirror: self.mirror.clone(),
            locked: self.locked,
            stop: Some(StopToken::process().flag()),
            ..self.cache.options()
        }
    }
}

pub fn run(cmd: DataCommand) -> Result<()> {
    let registry = Registry::builtin()?;
    match cmd {
        DataCommand::List { cache } => {
            let opts = cache.options();
            outln!("cache: {}", opts.cache.display())?;
            for (name, d) in &registry.datasets {
                outln!(
                    "\n{name}  (recipe {} v{})\n  {}",
                    d.recipe.name,
                    d.recipe.version,
                    d.description.trim()
                )?;
                for f in &d.files {
                    let state = if opts.cached_path(name, &f.name).is_file() {
                        "cached"
                    } else {
                        "not cached"
                    };
                    let pin = if f.sha256.is_some() {
                        "pinned"
                    } else {
                        "unpinned (datasets.lock)"
                    };
                    outln!("  - {} [{state}, {pin}]", f.name)?;
                    for m in &f.members {
                        let state = if opts.cached_path(name, &m.name).is_file() {
                            "cached"
                        } else {
                            "not cached"
                        };
                        outln!("      member {} [{state}, pinned; fetched alone when the archive fails]", m.name)?;
                    }
                }
            }
        }
        DataCommand::Fetch { name, fetch } => {
            signals::install();
            let entry = registry.get(&name)?;
            let opts = fetch.options();
            let first = !opts.cache.join("downloads").join(&name).exists();
            for f in
                fetch_dataset(&name, entry, &opts).with_context(|| format!("fetching {name}"))?
            {
                outln!("{}  {}", f.source.sha256, f.path.display())?;
            }
            if first {
                errln!("Terms of use of {name}: {}", entry.terms.trim());
            }
        }
        DataCommand::Verify { name, cache } => {
            let entry = registry.get(&name)?;
            for f in verify_dataset(&name, entry, &cache.options())
                .with_context(|| format!("verifying {name}"))?
            {
                outln!("ok  {}  {}", f.source.sha256, f.path.display())?;
            }
        }
        DataCommand::Prepare { name, fetch, from } => {
            signals::install();
            let opts = PrepareOptions {
                fetch: fetch.options(),
                from,
            };
            let (_, card) = prepare(&name, &opts).with_context(|| format!("preparing {name}"))?;
            print_summary(&card)?;
        }
        DataCommand::Card { name, fetch, from } => {
            signals::install();
            let opts = PrepareOptions {
                fetch: fetch.options(),
                from,
            };
            let (_, card) = prepare(&name, &opts).with_context(|| format!("preparing {name}"))?;
            outln!("{}", serde_json::to_string_pretty(&card)?)?;
        }
    }
    Ok(())
}

fn print_summary(card: &DatasetCard) -> Result<()> {
    let kind = if card.synthetic { " (synthetic)" } else { "" };
    outln!(
        "{}{kind}: {} items, recipe {} v{}",
        card.name,
        card.n_items,
        card.provenance.recipe.name,
        card.provenance.recipe.version
    )?;
    for split in Split::ALL {
        if let Some(s) = card.split(split) {
            outln!(
                "  {:5}  {:>7} samples  {:>6} users  {:>6} items seen  {} violations",
                split.name(),
                s.samples,
                s.users,
                s.items_seen,
                s.checks.violations()
            )?;
        }
    }
    for d in &card.provenance.derived {
        let verdict = match d.matches() {
            Some(true) => "matches the published file",
            Some(false) => "DIFFERS from the published file",
            None => "no published hash",
        };
        outln!("  wrote {}  sha256 {}  {verdict}", d.file, d.sha256)?;
    }
    for note in &card.provenance.notes {
        outln!("  note: {note}")?;
    }
    Ok(())
}
