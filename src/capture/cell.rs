//! One feature, label or prediction value of a captured record, in 24 bytes (a JSON value is
//! 72): a million-record window holds tens of millions of them.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Text, or a nested JSON value in its JSON text.
    Text(Box<str>),
}

impl From<Value> for Cell {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Self::Int(i),
                None => n.as_f64().map_or(Self::Null, Self::Float),
            },
            Value::String(s) => Self::Text(s.into_boxed_str()),
            other => Self::Text(other.to_string().into_boxed_str()),
        }
    }
}

impl From<Cell> for Value {
    fn from(c: Cell) -> Self {
        match c {
            Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Bool(b),
            Cell::Int(i) => Value::from(i),
            Cell::Float(x) => Value::from(x),
            Cell::Text(s) => Value::String(s.into_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn is_small_and_round_trips() {
        assert!(std::mem::size_of::<Cell>() <= 24);
        for v in [json!(null), json!(true), json!(3), json!(2.5), json!("x")] {
            assert_eq!(Value::from(Cell::from(v.clone())), v);
        }
        assert_eq!(Cell::from(json!([1])), Cell::Text("[1]".into()));
    }
}
