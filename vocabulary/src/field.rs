//! A setting that fails its check names its field and says why, typed, so a config reader can
//! point at the line of `section.field` without parsing the message.
use std::fmt;

/// One field of a settings type outside its domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name inside its settings type (`heads`, `lr`).
    pub field: &'static str,
    /// What is wrong and what is allowed.
    pub reason: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for FieldError {}

impl FieldError {
    pub(crate) fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// `n` in 1..=`max`.
pub(crate) fn in_range(
    field: &'static str,
    n: i64,
    max: i64,
    note: &str,
) -> Result<(), FieldError> {
    match (1..=max).contains(&n) {
        true => Ok(()),
        false => Err(FieldError::new(
            field,
            format!("{n} is out of range; must be in 1..={max}{note}"),
        )),
    }
}

/// `n` >= 1.
pub(crate) fn at_least_one(field: &'static str, n: usize, note: &str) -> Result<(), FieldError> {
    match n {
        0 => Err(FieldError::new(
            field,
            format!("0 is out of range; must be >= 1{note}"),
        )),
        _ => Ok(()),
    }
}

/// `x` finite and > 0.
pub(crate) fn positive(field: &'static str, x: f64) -> Result<(), FieldError> {
    match x.is_finite() && x > 0.0 {
        true => Ok(()),
        false => Err(FieldError::new(
            field,
            format!("{x:?} is out of range; must be finite and > 0"),
        )),
    }
}

/// `x` finite and >= 0.
pub(crate) fn non_negative(field: &'static str, x: f64, note: &str) -> Result<(), FieldError> {
    match x.is_finite() && x >= 0.0 {
        true => Ok(()),
        false => Err(FieldError::new(
            field,
            format!("{x:?} is out of range; must be finite and >= 0{note}"),
        )),
    }
}

/// `x` in [0, 1).
pub(crate) fn share(field: &'static str, x: f64) -> Result<(), FieldError> {
    match (0.0..1.0).contains(&x) {
        true => Ok(()),
        false => Err(FieldError::new(
            field,
            format!("{x:?} is out of range; must be in [0, 1)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::{PoConfig, PolicyConfig, SftConfig, MAX_EPOCHS};

    #[test]
    fn each_settings_type_names_the_field_that_fails() {
        assert!(SftConfig::default().validate().is_ok());
        assert!(PoConfig::default().validate().is_ok());
        assert!(PolicyConfig::default().validate().is_ok());
        let sft = SftConfig {
            epochs: MAX_EPOCHS + 1,
            ..SftConfig::default()
        };
        let e = sft.validate().unwrap_err();
        assert_eq!(
            (e.field, e.reason.as_str()),
            ("epochs", "1001 is out of range; must be in 1..=1000")
        );
        let po = PoConfig {
            logged_steps: 0,
            ..PoConfig::default()
        };
        assert_eq!(po.validate().unwrap_err().field, "logged_steps");
        let po = PoConfig {
            lr: f64::NAN,
            ..PoConfig::default()
        };
        assert_eq!(
            po.validate().unwrap_err().to_string(),
            "lr: NaN is out of range; must be finite and > 0"
        );
        let model = PolicyConfig {
            heads: 3,
            ..PolicyConfig::default()
        };
        assert_eq!(model.validate().unwrap_err().field, "heads");
    }
}
