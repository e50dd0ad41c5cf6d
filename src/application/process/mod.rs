//! Process managers: long-running reactions to events that issue commands.

mod settlement;

pub use settlement::TransferProcess;
