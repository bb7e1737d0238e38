//! The baselines' integration tests, one module per file, in one test binary (`cargo test -p
//! prefbench-baselines --test integration`): each file links libtorch, and one binary links
//! once where ten linked ten times. `cuda` compiles only with the `cuda-tests` feature.
mod support;

mod cuda;
mod objectives_edge;
mod objectives_golden;
mod objectives_gradcheck;
mod objectives_selection;
mod stacking;
mod text_encoder;
mod text_policy;
mod training;
