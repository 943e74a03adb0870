//! Baton's HTTP integration tests: the real router against a real database, one test binary
//! (one link) for all of them. Each module is one area of the API.

mod common;

mod assets;
mod authz;
mod calendar;
mod clients;
mod close;
mod compression;
mod concurrency;
mod deals;
mod delivery;
mod hardening;
mod http;
mod planner;
mod progress;
mod relay;
mod security;
mod shared_limits;
mod time;
mod what_if;
