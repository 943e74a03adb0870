//! Server-only code: context access, the database, repositories, the demo seed.
//! Compiled with the `ssr` feature only; server functions import it inside their bodies.

pub mod board_repo;
pub mod context;
pub mod db;
pub mod seed;
pub mod state;
