//! Message secrets (for reactions and edits to messages), with their expiry.

use super::*;

#[async_trait]
impl MsgSecretStore for KeyStore {
    async fn put_msg_secrets(&self, entries: Vec<MsgSecretEntry>) -> Result<usize> {
        let stored = entries.len();
        self.change(move |spaces| {
            let existing = spaces.get(MSG_SECRET);
            let mut merged: HashMap<String, Secret> = HashMap::new();
            for entry in entries {
                let k = key(&[&entry.chat, &entry.sender, &entry.msg_id]);
                let before = merged.remove(&k).or_else(|| {
                    existing
                        .and_then(|s| s.get(&k))
                        .and_then(|v| serde_json::from_slice::<Secret>(v).ok())
                });
                let secret = match before {
                    Some(old) => Secret {
                        secret: entry.secret.to_vec(),
                        expires_at: merge_msg_secret_expiry(old.expires_at, entry.expires_at),
                        message_ts: merge_msg_secret_message_ts(old.message_ts, entry.message_ts),
                    },
                    None => Secret {
                        secret: entry.secret.to_vec(),
                        expires_at: entry.expires_at,
                        message_ts: entry.message_ts,
                    },
                };
                merged.insert(k, secret);
            }
            let ops = merged
                .into_iter()
                .filter_map(|(k, s)| Some(Op::put(MSG_SECRET, &k, serde_json::to_vec(&s).ok()?)))
                .collect();
            (ops, stored)
        })
        .await
    }

    async fn get_msg_secret(
        &self,
        chat: &str,
        sender: &str,
        msg_id: &str,
    ) -> Result<Option<Vec<u8>>> {
        Ok(self
            .get_msg_secret_with_ts(chat, sender, msg_id)
            .await?
            .map(|(secret, _)| secret))
    }

    async fn get_msg_secret_with_ts(
        &self,
        chat: &str,
        sender: &str,
        msg_id: &str,
    ) -> Result<Option<(Vec<u8>, i64)>> {
        Ok(self
            .get_json::<Secret>(MSG_SECRET, &key(&[chat, sender, msg_id]))?
            .map(|s| (s.secret, s.message_ts)))
    }

    async fn delete_expired_msg_secrets(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.delete_counted(MSG_SECRET, move |_, value| {
            serde_json::from_slice::<Secret>(value)
                .is_ok_and(|s| s.expires_at != 0 && s.expires_at <= cutoff_timestamp)
        })
        .await
    }
}
