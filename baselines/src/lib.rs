//! The learning side of prefbench: the tch policy models, SFT and preference-optimisation
//! training, the objectives (DPO, S-DPO, DMPO, MPPO, DynamicPO and its ablations) and metrics.
pub mod device;
pub mod golden;
pub mod metrics;
pub mod objectives;
pub mod policy;
pub mod text;
pub mod train;
