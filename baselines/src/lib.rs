//! The learning side of prefbench: the tch policy models, SFT and preference-optimisation
//! training, the objectives (DPO, S-DPO, DMPO, MPPO, DynamicPO and its ablations) and metrics.
mod device;
pub mod golden;
mod libtorch_version;
mod metrics;
pub mod objectives;
pub mod policy;
pub mod text;
pub mod train;

pub use libtorch_version::libtorch_version;
