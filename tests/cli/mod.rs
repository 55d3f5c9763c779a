mod test_check;
mod test_core;
mod test_exchange;
mod test_journal;
mod test_output;
mod test_rules;
mod test_store;
mod test_totals;
