//! The console's face-policy form and how the policy and its history read
//! on the page.

use serde::Deserialize;

use crate::admin::face_policy::{PolicyChange, PolicyVersion, PolicyView as Policy};
use crate::auth::face_settings::FaceSettings;
use crate::biometrics::challenge::Action;

/// The form as posted (numbers as text, so a bad one can be shown again).
#[derive(Debug, Clone, Deserialize)]
pub struct PolicyForm {
    pub csrf: Option<String>,
    #[serde(default)]
    pub match_threshold: String,
    #[serde(default)]
    pub live_threshold: String,
    pub require_for_enrolled: Option<String>,
    /// Space- or comma-separated actions; empty = unpredictable.
    #[serde(default)]
    pub challenge_actions: String,
    pub max_failures: String,
    pub failure_window_minutes: String,
    pub lock_minutes: String,
    #[serde(default)]
    pub reason: String,
}

fn threshold(v: Option<f32>) -> String {
    v.map(|t| format!("{t:.2}")).unwrap_or_default()
}

fn actions_text(actions: &[Action], sep: &str) -> String {
    actions
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(sep)
}

impl PolicyForm {
    pub fn of(s: &FaceSettings) -> PolicyForm {
        PolicyForm {
            csrf: None,
            match_threshold: threshold(s.match_threshold),
            live_threshold: threshold(s.live_threshold),
            require_for_enrolled: s.require_for_enrolled.then(|| "on".to_owned()),
            challenge_actions: actions_text(&s.challenge_actions, " "),
            max_failures: s.max_failures.to_string(),
            failure_window_minutes: (s.failure_window_seconds / 60).to_string(),
            lock_minutes: (s.lock_seconds / 60).to_string(),
            reason: String::new(),
        }
    }

    /// The change this form asks for, or a message naming the bad field.
    pub fn change(&self) -> Result<PolicyChange, String> {
        let opt_num = |v: &str, name: &str| -> Result<Option<f32>, String> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<f32>()
                .map(Some)
                .map_err(|_| format!("{name}: '{v}' is not a number"))
        };
        let int = |v: &str, name: &str| -> Result<i64, String> {
            v.trim()
                .parse::<i64>()
                .map_err(|_| format!("{name}: '{}' is not a whole number", v.trim()))
        };
        let challenge_actions = self
            .challenge_actions
            .split([' ', ','])
            .filter(|a| !a.is_empty())
            .map(|a| {
                Action::ALL
                    .into_iter()
                    .find(|k| k.as_str() == a)
                    .ok_or_else(|| format!("challenge_actions: unknown action '{a}' (center, turn_left, turn_right, blink)"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PolicyChange {
            settings: FaceSettings {
                match_threshold: opt_num(&self.match_threshold, "match_threshold")?,
                live_threshold: opt_num(&self.live_threshold, "live_threshold")?,
                require_for_enrolled: self.require_for_enrolled.is_some(),
                challenge_actions,
                max_failures: int(&self.max_failures, "max_failures")?,
                failure_window_seconds: int(
                    &self.failure_window_minutes,
                    "failure_window_seconds",
                )?
                .saturating_mul(60),
                lock_seconds: int(&self.lock_minutes, "lock_seconds")?.saturating_mul(60),
            },
            reason: self.reason.clone(),
        })
    }
}

/// The settings in force, in words.
pub struct PolicyView {
    pub source: &'static str,
    pub match_threshold: String,
    pub live_threshold: String,
    pub actions: String,
    pub lockout: String,
    pub require_for_enrolled: bool,
}

fn described(
    s: &FaceSettings,
    models: (Option<f32>, Option<f32>),
) -> (String, String, String, String) {
    let t = |set: Option<f32>, model: Option<f32>| match (set, model) {
        (Some(v), _) => format!("{v:.2}"),
        (None, Some(m)) => format!("{m:.2} (the models' default)"),
        (None, None) => "the models' default".to_owned(),
    };
    let actions = if s.challenge_actions.is_empty() {
        "unpredictable: look ahead, turn left and right in random order, blink".to_owned()
    } else {
        actions_text(&s.challenge_actions, " → ")
    };
    let lockout = format!(
        "{} failures in {} min lock the face for {} min",
        s.max_failures,
        s.failure_window_seconds / 60,
        s.lock_seconds / 60
    );
    (
        t(s.match_threshold, models.0),
        t(s.live_threshold, models.1),
        actions,
        lockout,
    )
}

impl PolicyView {
    pub fn of(p: &Policy) -> PolicyView {
        let (match_threshold, live_threshold, actions, lockout) = described(
            &p.settings,
            (p.model_match_threshold, p.model_live_threshold),
        );
        PolicyView {
            source: p.source,
            match_threshold,
            live_threshold,
            actions,
            lockout,
            require_for_enrolled: p.settings.require_for_enrolled,
        }
    }
}

/// One row of the history.
pub struct PolicyVersionView {
    pub at: String,
    pub actor: String,
    pub reason: String,
    pub summary: String,
}

impl PolicyVersionView {
    pub fn of(v: &PolicyVersion) -> PolicyVersionView {
        let (m, l, actions, lockout) = described(&v.settings, (None, None));
        PolicyVersionView {
            at: crate::clock::utc_minutes(v.at),
            actor: v.actor.clone(),
            reason: v.reason.clone(),
            summary: format!(
                "match {m}; live {l}; {actions}; {lockout}; asked of enrolled people: {}",
                v.settings.require_for_enrolled
            ),
        }
    }
}

crate::csrf_field!(PolicyForm);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FaceConfig;

    #[test]
    fn the_form_shows_and_reads_back_the_same_settings() {
        let mut s = FaceSettings::of(&FaceConfig::default());
        s.match_threshold = Some(0.5);
        s.challenge_actions = vec![Action::Center, Action::Blink];
        let mut form = PolicyForm::of(&s);
        assert_eq!(form.challenge_actions, "center blink");
        form.reason = "stricter".into();
        assert_eq!(form.change().unwrap().settings, s);
    }

    #[test]
    fn a_bad_field_is_named() {
        let mut form = PolicyForm::of(&FaceSettings::of(&FaceConfig::default()));
        form.match_threshold = "high".into();
        assert!(form.change().unwrap_err().starts_with("match_threshold"));
        form.match_threshold.clear();
        form.challenge_actions = "center wink".into();
        assert!(form.change().unwrap_err().contains("'wink'"));
    }
}
