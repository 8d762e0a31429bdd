use super::*;

#[test]
fn composite_keys_keep_their_parts_apart() {
    assert_eq!(hex(&[0, 1, 254, 255]), "0001feff");
    assert_ne!(mac_key("regular", &[1]), mac_key("regular_", &[]));
    assert!(id_key(9) < id_key(10), "pre-key ids sort as numbers");
}

use whatsapp_rust::wacore::store::traits::Backend;

fn open(dir: &Path) -> Arc<dyn Backend> {
    Arc::new(KeyStore::open(dir).expect("opens"))
}

/// The library's storage contract, through its trait, across a reopen of the files.
#[tokio::test]
async fn the_storage_contract_holds_and_survives_a_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(dir.path());
    let alice = "5511999990000:1@s.whatsapp.net";
    store.put_identity(alice, [7; 32]).await.expect("identity");
    store
        .put_session(alice, b"session-1")
        .await
        .expect("session");
    store
        .put_sessions_batch(&[(Arc::from(alice), Bytes::from_static(b"session-2"))])
        .await
        .expect("batch");
    store
        .store_prekeys_batch(
            &[
                (9, Bytes::from_static(b"pk9")),
                (10, Bytes::from_static(b"pk10")),
            ],
            false,
        )
        .await
        .expect("prekeys");
    store.mark_prekeys_uploaded(&[9]).await.expect("uploaded");
    store.store_signed_prekey(1, b"spk").await.expect("signed");
    store
        .put_sender_key("group:alice", b"sk")
        .await
        .expect("sender key");
    store
        .set_sync_key(
            b"\x01\x02",
            AppStateSyncKey {
                key_data: vec![1],
                fingerprint: vec![2],
                timestamp: 3,
            },
        )
        .await
        .expect("sync key");
    store
        .set_version("regular", HashState::default())
        .await
        .expect("version");
    let mac = |i: u8, v: u8| AppStateMutationMAC {
        index_mac: vec![i],
        value_mac: vec![v],
    };
    store
        .put_mutation_macs("regular", 1, &[mac(1, 10), mac(2, 20)])
        .await
        .expect("macs");
    store
        .put_mutation_macs("critical", 1, &[mac(1, 30)])
        .await
        .expect("macs");
    store
        .set_sender_key_status("g@g.us", &[("a:1", true), ("b:2", false)])
        .await
        .expect("skd");
    let lid = |phone: &str| LidPnMappingEntry {
        lid: "100".into(),
        phone_number: phone.into(),
        created_at: 1,
        updated_at: 1,
        learning_source: "test".into(),
    };
    store.put_lid_mapping(&lid("5511")).await.expect("lid");
    store
        .put_lid_mapping(&lid("5522"))
        .await
        .expect("lid moved");
    store
        .save_base_key(alice, "m1", b"base")
        .await
        .expect("base key");
    store
        .put_tc_token(
            "t@s",
            &TcTokenEntry {
                token: vec![1],
                token_timestamp: 100,
                sender_timestamp: None,
            },
        )
        .await
        .expect("tc");
    store
        .store_sent_message("chat", "m1", b"payload")
        .await
        .expect("sent");
    store
        .store_pending_inbound("chat", "alice", "p1", b"inbound")
        .await
        .expect("pending");
    store
        .put_msg_secrets(vec![MsgSecretEntry {
            chat: Arc::from("chat"),
            sender: Arc::from("me"),
            msg_id: Arc::from("m1"),
            secret: [5; 32],
            expires_at: 50,
            message_ts: 7,
        }])
        .await
        .expect("secret");
    assert!(!store.exists().await.expect("exists"));
    store.create().await.expect("device");
    let device = store.load().await.expect("load").expect("device made");
    drop(store);

    // Everything is read back from the files by a new store.
    let store = open(dir.path());
    assert!(store.exists().await.expect("exists"));
    let again = store.load().await.expect("load").expect("device");
    assert_eq!(json(&again).expect("json"), json(&device).expect("json"));
    assert_eq!(
        store.load_identity(alice).await.expect("identity"),
        Some([7; 32])
    );
    assert_eq!(
        store.get_session(alice).await.expect("session").as_deref(),
        Some(&b"session-2"[..])
    );
    assert!(store
        .has_signal_state_for_user("5511999990000")
        .await
        .expect("state"));
    assert!(!store
        .has_signal_state_for_user("551199999000")
        .await
        .expect("other user"));
    assert_eq!(
        store.load_prekey(9).await.expect("prekey").as_deref(),
        Some(&b"pk9"[..])
    );
    assert_eq!(store.get_max_prekey_id().await.expect("max"), 10);
    assert_eq!(
        store
            .load_prekeys_batch(&[9, 10, 11])
            .await
            .expect("batch")
            .len(),
        2
    );
    assert_eq!(
        store.load_all_signed_prekeys().await.expect("signed"),
        vec![(1, b"spk".to_vec())]
    );
    assert_eq!(
        store.get_sender_key("group:alice").await.expect("sk"),
        Some(b"sk".to_vec())
    );
    assert_eq!(
        store.get_latest_sync_key_id().await.expect("latest"),
        Some(b"\x01\x02".to_vec())
    );
    assert_eq!(
        store
            .get_sync_key(b"\x01\x02")
            .await
            .expect("sync")
            .expect("key")
            .timestamp,
        3
    );
    assert_eq!(
        store.get_mutation_mac("regular", &[2]).await.expect("mac"),
        Some(vec![20])
    );
    store.clear_mutation_macs("regular").await.expect("clear");
    assert_eq!(
        store.get_mutation_mac("regular", &[1]).await.expect("mac"),
        None
    );
    assert_eq!(
        store.get_mutation_mac("critical", &[1]).await.expect("mac"),
        Some(vec![30])
    );
    let mut devices = store.get_sender_key_devices("g@g.us").await.expect("skd");
    devices.sort();
    assert_eq!(
        devices,
        vec![("a:1".to_string(), true), ("b:2".to_string(), false)]
    );
    store
        .delete_sender_key_device_rows(&["a:1"])
        .await
        .expect("delete rows");
    assert_eq!(
        store
            .get_sender_key_devices("g@g.us")
            .await
            .expect("skd")
            .len(),
        1
    );
    assert!(store
        .get_pn_mapping("5511")
        .await
        .expect("old number")
        .is_none());
    assert_eq!(
        store
            .get_pn_mapping("5522")
            .await
            .expect("pn")
            .expect("mapped")
            .lid,
        "100"
    );
    assert!(store
        .has_same_base_key(alice, "m1", b"base")
        .await
        .expect("base"));
    assert!(!store
        .has_same_base_key(alice, "m1", b"other")
        .await
        .expect("base"));
    assert_eq!(
        store.get_all_tc_token_jids().await.expect("tc"),
        vec!["t@s".to_string()]
    );
    assert_eq!(
        store
            .delete_expired_tc_tokens(200, 200)
            .await
            .expect("expire"),
        1
    );
    assert_eq!(
        store.take_sent_message("chat", "m1").await.expect("take"),
        Some(b"payload".to_vec())
    );
    assert_eq!(
        store
            .take_sent_message("chat", "m1")
            .await
            .expect("taken once"),
        None
    );
    assert_eq!(
        store
            .get_pending_inbound("chat", "alice", "p1")
            .await
            .expect("pending"),
        Some(b"inbound".to_vec())
    );
    store
        .delete_pending_inbound("chat", "alice", "p1")
        .await
        .expect("delete pending");
    assert_eq!(
        store
            .get_msg_secret_with_ts("chat", "me", "m1")
            .await
            .expect("secret"),
        Some((vec![5; 32], 7))
    );
    // A later deadline wins, a zero time does not clobber a known one.
    store
        .put_msg_secrets(vec![MsgSecretEntry {
            chat: Arc::from("chat"),
            sender: Arc::from("me"),
            msg_id: Arc::from("m1"),
            secret: [6; 32],
            expires_at: 80,
            message_ts: 0,
        }])
        .await
        .expect("merge");
    assert_eq!(
        store
            .get_msg_secret_with_ts("chat", "me", "m1")
            .await
            .expect("secret"),
        Some((vec![6; 32], 7))
    );
    assert_eq!(
        store.delete_expired_msg_secrets(60).await.expect("expire"),
        0
    );
    assert_eq!(
        store.delete_expired_msg_secrets(80).await.expect("expire"),
        1
    );
}
