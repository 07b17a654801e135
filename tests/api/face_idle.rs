//! Unused face templates expire (issue 17): announced 14 days before
//! `face.template_max_idle_days`, erased with the consent at it, never
//! before (clock injected); a face check in between keeps the template.

use visage::auth::face_idle;
use visage::clock::Clock;

use crate::helpers::*;
use crate::mail::MailSink;

const DAY: i64 = 86_400;

fn enrolled(app: &TestApp, uid: &str, at: i64) {
    let id = uid.to_owned();
    app.db
        .run_sync(move |c| -> Result<(), visage::db::DbError> {
            visage::auth::face::record_consent(c, &id.as_str().into(), "v1", at)?;
            visage::db::face_templates::replace(
                c,
                &visage::db::face_templates::FaceTemplateRow {
                    id: format!("t-{id}"),
                    user_id: id.as_str().into(),
                    model_id: "arcface-512".into(),
                    sealed: b"sealed".to_vec(),
                    frames: 5,
                    created_at: at,
                },
            )
        })
        .unwrap();
}

fn run(app: &TestApp, at: i64) -> face_idle::Expiry {
    let cfg = app.config.face.clone();
    app.db
        .run_sync(move |c| face_idle::run(c, &cfg, at))
        .unwrap()
}

#[tokio::test]
async fn an_unused_face_template_is_announced_then_erased_and_a_face_check_keeps_it() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user(), app.user_with("bob@example.com", PASSWORD));
    let t0 = 1_800_000_000;
    enrolled(&app, &alice, t0);
    enrolled(&app, &bob, t0);
    let max = app.config.face.template_max_idle_days * DAY;
    let notice = 14 * DAY;

    // Not a second early.
    assert!(run(&app, t0 + max - notice).warned.is_empty());
    let told = run(&app, t0 + max - notice + 1);
    assert_eq!(told.warned.len(), 2, "{told:?}");
    assert!(
        run(&app, t0 + max - notice + 2).warned.is_empty(),
        "told once"
    );
    // Bob signs in with his face after the notice: his template stays.
    let b = bob.clone();
    app.db
        .run_sync(move |c| visage::db::face_templates::touch(c, &b.as_str().into(), t0 + max - DAY))
        .unwrap();
    // Fourteen days after the notice, not before.
    assert!(run(&app, t0 + max - notice + 1 + notice - 1)
        .erased
        .is_empty());
    let gone = run(&app, t0 + max + 1);
    assert_eq!(gone.erased.len(), 1, "{gone:?}");
    assert_eq!(gone.erased[0].as_str(), alice);
    assert_eq!(
        app.count(&format!("face_templates WHERE user_id = '{alice}'")),
        0
    );
    assert_eq!(
        app.count(&format!("biometric_consents WHERE user_id = '{alice}'")),
        0
    );
    assert_eq!(
        app.count(&format!("face_templates WHERE user_id = '{bob}'")),
        1
    );
}

#[tokio::test]
async fn the_server_mails_the_notice_on_its_schedule() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    let uid = app.user();
    enrolled(&app, &uid, app.clock.now());
    // Eleven and a half months on: the daily job (its lease from the start
    // has ended) tells the person.
    app.clock
        .advance((app.config.face.template_max_idle_days - 13) * DAY);
    app.scheduled_round().await;
    assert_eq!(sink.subjects(EMAIL), ["Your face sign-in will be removed"]);
    let mail = &sink.messages_to(EMAIL)[0];
    assert!(mail.contains("/account"), "{mail}");
}
