//! Device helpers shared by training and the objectives.
use tch::Device;

/// Waits for queued GPU work so wall-clock readings mean something; a no-op on CPU.
pub fn synchronize(device: Device) {
    if let Device::Cuda(index) = device {
        tch::Cuda::synchronize(index as i64);
    }
}
