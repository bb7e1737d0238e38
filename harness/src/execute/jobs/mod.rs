//! `--jobs N`: N runs at a time, in N child processes. libtorch's intra-op thread pool is
//! process-wide, so threads inside one process would share (and fight over) one pool; separate
//! processes each get `threads` = cores / N, so jobs × threads never exceeds the cores.
//!
//! The parent ([`parent`]) keeps sole ownership of the output directory, its lock and
//! `results.jsonl`. It splits the pending (dataset, seed) groups over the jobs by expected cost
//! (as shards do), starts each job as `prefbench run OUT/config.yaml --job --out OUT/jobs/J …`
//! with its run ids on stdin, and reads [`protocol::Event`]s back from the job's stdout, one
//! JSON line each: stages and lines for the one display, and finished records, which the parent
//! appends. A job ([`child`]) killed mid-line leaves a line without its newline, which is
//! ignored; a parent that is killed closes the pipes, and each job stops at its next event.
pub mod child;
pub mod parent;
pub mod protocol;
