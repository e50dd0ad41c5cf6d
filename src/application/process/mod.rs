//! Process managers: long-running reactions to events that issue commands.

mod transfers;

pub use transfers::TransferProcess;
