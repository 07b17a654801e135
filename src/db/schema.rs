//! Portable diesel schema shared by SQLite and PostgreSQL (Text, BigInt, Bool, Binary only).

diesel::table! {
    clients (id) {
        id -> Text,
        name -> Text,
        secret_hash -> Nullable<Text>,
        redirect_uris -> Text,
        post_logout_redirect_uris -> Text,
        grant_types -> Text,
        token_endpoint_auth_method -> Text,
        id_token_alg -> Text,
        allow_plain_pkce -> Bool,
        first_party -> Bool,
        jwks -> Nullable<Text>,
        disabled -> Bool,
        created_at -> BigInt,
        branding -> Nullable<Text>,
        face_policy -> Text,
        password_policy -> Text,
        required_acr -> Nullable<Text>,
        service_scopes -> Text,
        audiences -> Text,
        allowed_origins -> Text,
        allowed_networks -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        email_verified -> Bool,
        password_hash -> Nullable<Text>,
        name -> Nullable<Text>,
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        locale -> Nullable<Text>,
        phone_number -> Nullable<Text>,
        phone_number_verified -> Bool,
        address -> Nullable<Text>,
        disabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        private_key -> Binary,
        public_jwk -> Text,
        created_at -> BigInt,
        retired_at -> Nullable<BigInt>,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        sid -> Text,
        user_id -> Text,
        auth_time -> BigInt,
        acr -> Text,
        amr -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        ended_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    login_transactions (id_hash) {
        id_hash -> Text,
        request -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        signed_in_sid -> Nullable<Text>,
    }
}

diesel::table! {
    auth_codes (code_hash) {
        code_hash -> Text,
        grant_id -> Text,
        client_id -> Text,
        user_id -> Text,
        sid -> Text,
        redirect_uri -> Text,
        scope -> Text,
        nonce -> Nullable<Text>,
        code_challenge -> Nullable<Text>,
        code_challenge_method -> Nullable<Text>,
        claims -> Nullable<Text>,
        auth_time -> BigInt,
        acr -> Text,
        amr -> Text,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    tokens (id) {
        id -> Text,
        token_hash -> Nullable<Text>,
        kind -> Text,
        grant_id -> Text,
        client_id -> Text,
        user_id -> Nullable<Text>,
        sid -> Nullable<Text>,
        scope -> Text,
        claims -> Nullable<Text>,
        auth_time -> Nullable<BigInt>,
        acr -> Nullable<Text>,
        amr -> Nullable<Text>,
        expires_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        rotated_at -> Nullable<BigInt>,
        grace_response -> Nullable<Binary>,
    }
}

diesel::table! {
    consents (user_id, client_id) {
        user_id -> Text,
        client_id -> Text,
        scope -> Text,
        granted_at -> BigInt,
    }
}

diesel::table! {
    used_jtis (client_id, jti) {
        client_id -> Text,
        jti -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    audit_seals (seq) {
        seq -> BigInt,
        head -> Text,
        mac -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    audit_events (seq) {
        seq -> BigInt,
        at -> BigInt,
        category -> Text,
        action -> Text,
        outcome -> Text,
        actor -> Nullable<Text>,
        user_id -> Nullable<Text>,
        client_id -> Nullable<Text>,
        ip -> Nullable<Text>,
        detail -> Text,
        prev_hash -> Text,
        hash -> Text,
        sealed_detail -> Nullable<Binary>,
    }
}

diesel::table! {
    passkeys (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        credential -> Text,
        backup_eligible -> Bool,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    ceremonies (id_hash) {
        id_hash -> Text,
        kind -> Text,
        owner -> Text,
        state -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    email_challenges (id_hash) {
        id_hash -> Text,
        purpose -> Text,
        user_id -> Text,
        email -> Text,
        name -> Nullable<Text>,
        code_hash -> Text,
        attempts -> BigInt,
        verified_at -> Nullable<BigInt>,
        tx -> Nullable<Text>,
        locale -> Nullable<Text>,
        invitation -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    recovery_codes (user_id, code_hash) {
        user_id -> Text,
        code_hash -> Text,
        created_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    invitations (id_hash) {
        id_hash -> Text,
        email -> Nullable<Text>,
        created_by -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        role -> Nullable<Text>,
    }
}

diesel::table! {
    admin_roles (subject) {
        subject -> Text,
        kind -> Text,
        role -> Text,
        granted_by -> Text,
        granted_at -> BigInt,
    }
}

diesel::table! {
    lockouts (key) {
        key -> Text,
        failures -> BigInt,
        window_start -> BigInt,
        blocked_until -> Nullable<BigInt>,
    }
}

diesel::table! {
    face_templates (id) {
        id -> Text,
        user_id -> Text,
        model_id -> Text,
        sealed -> Binary,
        frames -> BigInt,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
        expiry_warned_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    biometric_consents (user_id) {
        user_id -> Text,
        text_version -> Text,
        granted_at -> BigInt,
    }
}

diesel::table! {
    face_challenges (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        challenge -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    face_policy_changes (id) {
        id -> Text,
        at -> BigInt,
        actor -> Text,
        reason -> Text,
        policy -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(sessions, users);
diesel::allow_tables_to_appear_in_same_query!(tokens, users);
diesel::allow_tables_to_appear_in_same_query!(clients, tokens);

diesel::table! {
    known_devices (user_id, device_hash) {
        user_id -> Text,
        device_hash -> Text,
        browser -> Text,
        first_seen -> BigInt,
        last_seen -> BigInt,
    }
}

diesel::table! {
    blocked_networks (id) {
        id -> Text,
        network -> Text,
        reason -> Text,
        actor -> Text,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        lifted_at -> Nullable<BigInt>,
        lifted_by -> Nullable<Text>,
    }
}

diesel::table! {
    reauth_floors (subject) {
        subject -> Text,
        after -> BigInt,
        actor -> Text,
        reason -> Text,
    }
}

diesel::table! {
    incident_switches (name) {
        name -> Text,
        value -> Text,
        actor -> Text,
        reason -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    alerts (id) {
        id -> Text,
        rule -> Text,
        subject -> Text,
        user_id -> Nullable<Text>,
        address -> Nullable<Text>,
        count -> BigInt,
        window_seconds -> BigInt,
        action -> Text,
        raised_at -> BigInt,
        last_at -> BigInt,
        repeats -> BigInt,
        state -> Text,
        acknowledged_by -> Nullable<Text>,
        acknowledged_at -> Nullable<BigInt>,
        resolved_by -> Nullable<Text>,
        resolved_at -> Nullable<BigInt>,
        notified_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_checkpoints (id) {
        id -> BigInt,
        upto_seq -> BigInt,
        head_hash -> Text,
        kept_digest -> Text,
        kept -> BigInt,
        at -> BigInt,
        mac -> Text,
    }
}

diesel::table! {
    job_leases (name) {
        name -> Text,
        holder -> Text,
        until -> BigInt,
    }
}

diesel::table! {
    master_key_material (name) {
        name -> Text,
        sealed -> Binary,
    }
}

diesel::table! {
    master_key_rotations (new_id) {
        new_id -> Text,
        old_id -> Text,
        new_under_old -> Nullable<Binary>,
        old_under_new -> Nullable<Binary>,
        running -> Nullable<BigInt>,
        field -> Text,
        after_id -> Text,
        resealed -> BigInt,
        actor -> Text,
        started_at -> BigInt,
        finished_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    registration_approvals (passkey_id) {
        passkey_id -> Text,
        user_id -> Text,
        new_account -> Bool,
        address -> Nullable<Text>,
        alert_id -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    face_light_history (id) {
        id -> Text,
        user_id -> Text,
        colours -> Text,
        answered_at -> BigInt,
    }
}
