//! Pure policy library (filled from the policy helper).
