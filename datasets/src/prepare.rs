//! The entry point of the run pipeline: fetch + verify + run the recipe, cached by (source
//! hashes, recipe version) as compact JSON lines written atomically, with the dataset's card.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::card::{DatasetCard, DerivedFile, Provenance, SourceFile};
use crate::download::{fetch_dataset, record_first_seen, reject_unverified, FetchOptions, Fetched};
use crate::error::DatasetError;
use crate::formats::{goodreads, hetrec, movielens, sdpo, steam, Rebuilt};
use crate::recipe::RecipeKind;
use crate::registry::{DatasetEntry, Registry};
use crate::sample::{Dataset, Sample, Split};
use crate::synthetic::{self, SyntheticConfig};

/// Options of [`prepare`].
#[derive(Debug, Clone)]
pub struct PrepareOptions {
    pub fetch: FetchOptions,
    /// Datasets whose recipe reads archive members only ([`reads_extracted_members`]): a
    /// directory holding those members, extracted, instead of the archive (`lastfm-raw` and
    /// `lastfm-dated`: `artists.dat`, `user_taggedartists.dat`, whose archive hash then cannot
    /// be checked; the MovieLens datasets: `u.data`, `u.item`, each checked against its own
    /// pin).
    pub from: Option<PathBuf>,
}

/// Generates the synthetic dataset of `config` with its card; nothing is downloaded or cached,
/// since generating is as fast as reading a cache.
pub fn prepare_synthetic(config: &SyntheticConfig) -> Result<(Dataset, DatasetCard), DatasetError> {
    let dataset = synthetic::generate(config)?;
    let params =
        serde_json::to_value(config).map_err(|e| DatasetError::Unsupported(e.to_string()))?;
    let card = DatasetCard::build(
        &dataset,
        Provenance::synthetic(params, synthetic::RECIPE_VERSION),
    );
    Ok((dataset, card))
}

/// Fetches, verifies and prepares dataset `name`, or loads it from the prepared cache.
/// `synthetic` is generated with the default [`SyntheticConfig`].
pub fn prepare(name: &str, opts: &PrepareOptions) -> Result<(Dataset, DatasetCard), DatasetError> {
    prepare_entry(name, Registry::builtin()?.get(name)?, opts)
}

/// [`prepare`] for a registry entry given by the caller (tests serve its files locally).
///
/// Files with no pinned sha256 and none in `datasets.lock` yet get their hash recorded there
/// only after the recipe has parsed them (or a prepared copy built from those exact bytes
/// exists); when the recipe fails they are moved aside, so that an error page served with
/// status 200 is never trusted on first use and then accepted by `--locked`.
pub fn prepare_entry(
    name: &str,
    entry: &DatasetEntry,
    opts: &PrepareOptions,
) -> Result<(Dataset, DatasetCard), DatasetError> {
    if entry.recipe.name == RecipeKind::Synthetic {
        return prepare_synthetic(&SyntheticConfig::default());
    }
    let (inputs, mut notes) = inputs(name, entry, opts)?;
    let sources: Vec<SourceFile> = inputs.iter().map(|f| f.source.clone()).collect();
    let dir = prepared_dir(&opts.fetch.cache, name, entry, &sources);
    if let Some(cached) = load(&dir) {
        record_first_seen(&opts.fetch.cache, name, &inputs)?;
        return Ok(cached);
    }
    let built = Inputs::bind(name, entry.recipe.name, &inputs, opts.from.as_deref())
        .and_then(|bound| bound.run(name, entry, &dir));
    let (dataset, derived, extra) = built.map_err(|e| reject_unverified(&inputs, e))?;
    notes.extend(extra);
    record_first_seen(&opts.fetch.cache, name, &inputs)?;
    let provenance = Provenance {
        synthetic: None,
        sources,
        terms: entry.terms.trim().to_string(),
        recipe: entry.recipe.clone(),
        derived,
        notes,
    };
    let card = DatasetCard::build(&dataset, provenance);
    if card.violations() > 0 {
        tracing::warn!(
            "{name}: {} samples break the protocol's invariants; see the card",
            card.violations()
        );
    }
    store(&dir, &dataset, &card)?;
    Ok((dataset, card))
}

/// Whether the recipe of `entry` can read extracted archive members instead of the archive
/// (`PrepareOptions::from`): the hetrec LastFM and the MovieLens recipes can.
pub fn reads_extracted_members(entry: &DatasetEntry) -> bool {
    !extracted_members(entry).is_empty()
}

/// The archive members the recipe of `entry` reads, which a `--from` directory must hold;
/// empty for recipes that read no archive.
pub fn extracted_members(entry: &DatasetEntry) -> &'static [&'static str] {
    entry.recipe.name.members()
}

/// The directory among `dirs` (the CLI's `--from`, which may be given once per dataset) that
/// holds the archive members of `entry`'s recipe: the first that holds any of them, which must
/// then hold them all; `None` when none holds any (the archive is fetched instead) or the
/// recipe reads no members.
pub fn members_dir<'a>(
    entry: &DatasetEntry,
    dirs: &'a [PathBuf],
) -> Result<Option<&'a Path>, DatasetError> {
    let members = extracted_members(entry);
    let Some(dir) = dirs
        .iter()
        .find(|d| members.iter().any(|m| d.join(m).is_file()))
    else {
        return Ok(None);
    };
    match members.iter().find(|m| !dir.join(m).is_file()) {
        Some(missing) => Err(DatasetError::bad_input(
            dir.display(),
            format!(
                "--from: holds some of the members {} but not `{missing}`; put all of them there",
                members.join(", ")
            ),
        )),
        None => Ok(Some(dir)),
    }
}

/// The input files of a recipe, by name: the registry's files bound in their order.
enum Inputs<'a> {
    Sdpo {
        train: &'a Fetched,
        valid: &'a Fetched,
        test: &'a Fetched,
    },
    HetrecArchive {
        archive: &'a Path,
        order: hetrec::Order,
    },
    /// `--from DIR`: the archive's members, extracted into `dir`.
    HetrecMembers {
        dir: &'a Path,
        order: hetrec::Order,
    },
    MovielensArchive {
        archive: &'a Path,
        variant: movielens::Variant,
    },
    /// `--from DIR`, or the members fetched one by one into the cache's folder `dir`.
    MovielensMembers {
        dir: &'a Path,
        variant: movielens::Variant,
    },
    Steam {
        reviews: &'a Path,
        games: &'a Path,
    },
    Goodreads {
        interactions: &'a Path,
        books: &'a Path,
    },
}

impl<'a> Inputs<'a> {
    /// Binds `files` to the inputs of `kind` ([`RecipeKind::inputs`]), refusing a registry
    /// entry that lists another number of files.
    fn bind(
        name: &str,
        kind: RecipeKind,
        files: &'a [Fetched],
        from: Option<&'a Path>,
    ) -> Result<Self, DatasetError> {
        let path = |f: &'a Fetched| f.path.as_path();
        if let Some(variant) = kind.movielens_variant() {
            return Ok(match (files, from) {
                (_, Some(dir)) => Inputs::MovielensMembers { dir, variant },
                ([archive], None) => Inputs::MovielensArchive {
                    archive: path(archive),
                    variant,
                },
                // Members fetched in the archive's stead all sit in one cache folder.
                ([first, ..], None) => Inputs::MovielensMembers {
                    dir: first.path.parent().unwrap_or(Path::new(".")),
                    variant,
                },
                ([], None) => {
                    return Err(DatasetError::Registry(format!(
                        "{name}: the registry lists no file"
                    )))
                }
            });
        }
        Ok(match (kind, kind.hetrec_order(), files, from) {
            (RecipeKind::SdpoJson, _, [train, valid, test], _) => {
                Inputs::Sdpo { train, valid, test }
            }
            (_, Some(order), _, Some(dir)) => Inputs::HetrecMembers { dir, order },
            (_, Some(order), [archive], None) => Inputs::HetrecArchive {
                archive: path(archive),
                order,
            },
            (RecipeKind::Steam, _, [reviews, games], _) => Inputs::Steam {
                reviews: path(reviews),
                games: path(games),
            },
            (RecipeKind::Goodreads, _, [interactions, books], _) => Inputs::Goodreads {
                interactions: path(interactions),
                books: path(books),
            },
            _ => {
                return Err(DatasetError::Registry(format!(
                    "{name}: the {kind} recipe reads {} files ({}), the registry lists {}",
                    kind.inputs().len(),
                    kind.inputs().join(", "),
                    files.len()
                )))
            }
        })
    }

    /// Runs the recipe: the dataset, the files it wrote into `dir` and notes for the card.
    fn run(
        self,
        name: &str,
        entry: &DatasetEntry,
        dir: &Path,
    ) -> Result<(Dataset, Vec<DerivedFile>, Vec<String>), DatasetError> {
        match self {
            Inputs::Sdpo { train, valid, test } => Ok((
                read_sdpo(name, [train, valid, test])?,
                Vec::new(),
                Vec::new(),
            )),
            Inputs::HetrecArchive { archive, order } => {
                let [artists, tagged] = hetrec::read_archive(archive)?;
                write_derived(hetrec::build(&artists, &tagged, order)?, entry, dir)
            }
            Inputs::HetrecMembers { dir: from, order } => {
                let [artists, tagged] = hetrec::read_dir(from)?;
                write_derived(hetrec::build(&artists, &tagged, order)?, entry, dir)
            }
            Inputs::MovielensArchive { archive, variant } => {
                let members = movielens::read_archive(archive, &member_pins(entry))?;
                write_derived(movielens::build(&members, variant)?, entry, dir)
            }
            Inputs::MovielensMembers { dir: from, variant } => {
                let members = movielens::read_dir(from, &member_pins(entry))?;
                write_derived(movielens::build(&members, variant)?, entry, dir)
            }
            Inputs::Steam { reviews, games } => {
                steam::build(reviews, games).map(|(d, notes)| (d, Vec::new(), notes))
            }
            Inputs::Goodreads {
                interactions,
                books,
            } => goodreads::build(interactions, books).map(|(d, notes)| (d, Vec::new(), notes)),
        }
    }
}

/// The verified source files, or for `--from` the extracted members (hashed, not pinned).
fn inputs(
    name: &str,
    entry: &DatasetEntry,
    opts: &PrepareOptions,
) -> Result<(Vec<Fetched>, Vec<String>), DatasetError> {
    let Some(dir) = &opts.from else {
        return Ok((fetch_dataset(name, entry, &opts.fetch)?, Vec::new()));
    };
    let members = extracted_members(entry);
    if members.is_empty() {
        return Err(DatasetError::Unsupported(format!(
            "--from DIR is only for datasets read from archive members (lastfm-raw, lastfm-dated, movielens-llara, movielens-loo); for {name} use --mirror DIR"
        )));
    }
    let pins = member_pins(entry);
    let fetched = members
        .iter()
        .map(|m| {
            let path = dir.join(m);
            Ok(Fetched {
                source: SourceFile {
                    file: m.to_string(),
                    url: None,
                    sha256: prefbench_io::sha256_file(&path)?,
                    // Checked against it by the recipe, which refuses any other bytes.
                    pinned: pins.iter().any(|(name, _)| name == m),
                },
                path,
                // The user's own files: never recorded in, nor moved aside by, the cache's lock.
                unverified: false,
            })
        })
        .collect::<Result<Vec<_>, DatasetError>>()?;
    let note = if fetched.iter().all(|f| f.source.pinned) {
        format!(
            "built from extracted files in {}, each checked against its own pinned sha256 (the archive's could not be)",
            dir.display()
        )
    } else {
        let note = format!(
            "built from extracted files in {} without the archive: its pinned sha256 could not be checked",
            dir.display()
        );
        tracing::warn!("{note}");
        note
    };
    Ok((fetched, vec![note]))
}

/// Reads S-DPO's three files (train, valid, test) as they are.
fn read_sdpo(name: &str, inputs: [&Fetched; 3]) -> Result<Dataset, DatasetError> {
    let mut reader = sdpo::SdpoReader::default();
    let mut files = Vec::new();
    for f in inputs {
        let file = std::fs::File::open(&f.path).map_err(DatasetError::io("opening", &f.path))?;
        reader.read_file(&f.source.file, file)?;
        files.push(f.source.file.as_str());
    }
    let (splits, titles) = reader.finish(&files)?;
    let [train, valid, test]: [Vec<Sample>; 3] =
        splits.try_into().expect("three files give three splits");
    Ok(Dataset {
        name: name.to_string(),
        n_items: titles.len(),
        titles: Some(titles),
        // S-DPO's files name items only: their hetrec artist ids are not recoverable here.
        source_ids: None,
        train,
        valid,
        test,
    })
}

/// The pinned members of the registry's archive (`members` of its first file), as
/// `(member, sha256)`.
fn member_pins(entry: &DatasetEntry) -> Vec<movielens::Pin<'_>> {
    let members = entry
        .files
        .first()
        .map_or(&[][..], |f| f.members.as_slice());
    members
        .iter()
        .filter_map(|m| Some((m.name.as_str(), m.sha256.as_deref()?)))
        .collect()
}

/// Writes the files a recipe rendered beside the prepared data, with their hashes compared to
/// the ones the registry pins (`derived`: S-DPO's published files for `lastfm-raw`, LLaRA's
/// frames for `movielens-llara`, prefbench's own for `lastfm-dated` and `movielens-loo`).
fn write_derived(
    rebuilt: Rebuilt,
    entry: &DatasetEntry,
    dir: &Path,
) -> Result<(Dataset, Vec<DerivedFile>, Vec<String>), DatasetError> {
    let mut derived = Vec::new();
    for (file, text) in &rebuilt.files {
        prefbench_io::write_atomic(&dir.join(file), text.as_bytes())?;
        let expected_sha256 = entry
            .derived
            .iter()
            .find(|f| f.name == *file)
            .map(|f| f.sha256.clone());
        let d = DerivedFile {
            file: file.clone(),
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
            expected_sha256,
        };
        if d.matches() == Some(false) {
            tracing::warn!(
                "{file}: rebuilt sha256 {} differs from the registry's {:?}",
                d.sha256,
                d.expected_sha256
            );
        }
        derived.push(d);
    }
    Ok((rebuilt.dataset, derived, rebuilt.notes))
}

/// `<cache>/prepared/<name>/<key>`: the key hashes the recipe and every source hash.
pub fn prepared_dir(
    cache: &Path,
    name: &str,
    entry: &DatasetEntry,
    sources: &[SourceFile],
) -> PathBuf {
    let mut h = Sha256::new();
    h.update(format!("{}\n{}\n", entry.recipe.name, entry.recipe.version));
    for s in sources {
        h.update(format!("{} {}\n", s.file, s.sha256));
    }
    let key = hex::encode(h.finalize());
    cache.join("prepared").join(name).join(&key[..16])
}

/// Version of the prepared-data layout (`samples.jsonl`'s header and rows). Bumped whenever a
/// [`Dataset`] field is added to it, so that a copy written before cannot be served without
/// that field: 2 added `source_ids` (a version-1 header has no `format` and reads as 0).
pub const PREPARED_FORMAT: u32 = 2;

/// The first line of `samples.jsonl`: the dataset without its samples.
#[derive(Serialize, Deserialize)]
struct Header {
    #[serde(default)]
    format: u32,
    name: String,
    n_items: usize,
    titles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_ids: Option<Vec<u64>>,
}

/// One sample line: `[split, user, history, candidates, target]`.
type Row = (Split, u32, Vec<u32>, Vec<u32>, u32);

fn store(dir: &Path, dataset: &Dataset, card: &DatasetCard) -> Result<(), DatasetError> {
    let header = Header {
        format: PREPARED_FORMAT,
        name: dataset.name.clone(),
        n_items: dataset.n_items,
        titles: dataset.titles.clone(),
        source_ids: dataset.source_ids.clone(),
    };
    let mut out = json_line(&header);
    for split in Split::ALL {
        for s in dataset.split(split) {
            let row: Row = (
                split,
                s.user,
                s.history.clone(),
                s.candidates.clone(),
                s.target,
            );
            out.push_str(&json_line(&row));
        }
    }
    prefbench_io::write_atomic(&dir.join("samples.jsonl"), out.as_bytes())?;
    let card_json =
        serde_json::to_string_pretty(card).map_err(|e| DatasetError::Unsupported(e.to_string()))?;
    Ok(prefbench_io::write_atomic(
        &dir.join("card.json"),
        card_json.as_bytes(),
    )?)
}

/// One JSON line; the values are plain data, so serialising cannot fail.
fn json_line<T: Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string(v).expect("plain data serialises");
    s.push('\n');
    s
}

/// The prepared dataset and card, or `None` when absent, unreadable or of another
/// [`PREPARED_FORMAT`] (then rebuilt).
fn load(dir: &Path) -> Option<(Dataset, DatasetCard)> {
    let card: DatasetCard =
        serde_json::from_slice(&std::fs::read(dir.join("card.json")).ok()?).ok()?;
    let mut lines = BufReader::new(std::fs::File::open(dir.join("samples.jsonl")).ok()?).lines();
    let header: Header = serde_json::from_str(&lines.next()?.ok()?).ok()?;
    if header.format != PREPARED_FORMAT {
        tracing::info!(
            "{}: prepared copy of format {} (not {PREPARED_FORMAT}); rebuilding",
            dir.display(),
            header.format
        );
        return None;
    }
    let mut dataset = Dataset {
        name: header.name,
        n_items: header.n_items,
        titles: header.titles,
        source_ids: header.source_ids,
        train: Vec::new(),
        valid: Vec::new(),
        test: Vec::new(),
    };
    for line in lines {
        let (split, user, history, candidates, target): Row =
            serde_json::from_str(&line.ok()?).ok()?;
        let sample = Sample {
            user,
            history,
            candidates,
            target,
        };
        match split {
            Split::Train => dataset.train.push(sample),
            Split::Valid => dataset.valid.push(sample),
            Split::Test => dataset.test.push(sample),
        }
    }
    let complete = Split::ALL
        .iter()
        .all(|&s| card.split(s).map(|c| c.samples) == Some(dataset.split(s).len()));
    complete.then_some((dataset, card))
}
