//! The protocol's bookkeeping: LID and phone mappings, base keys, device lists, group
//! metadata, trusted-contact tokens, sent messages kept for retries and inbound messages
//! awaiting acknowledgement.

use super::*;

#[async_trait]
impl ProtocolStore for KeyStore {
    async fn get_sender_key_devices(&self, group_jid: &str) -> Result<Vec<(String, bool)>> {
        let prefix = key(&[group_jid, ""]);
        Ok(self.journal.read(|spaces| {
            spaces
                .get(SENDER_KEY_DEVICE)
                .map(|entries| {
                    entries
                        .range(prefix.clone()..)
                        .take_while(|(k, _)| k.starts_with(&prefix))
                        .map(|(k, v)| (k[prefix.len()..].to_string(), v.first() == Some(&1)))
                        .collect()
                })
                .unwrap_or_default()
        }))
    }

    async fn set_sender_key_status(&self, group_jid: &str, entries: &[(&str, bool)]) -> Result<()> {
        let ops = entries
            .iter()
            .map(|(device, has_key)| {
                Op::put(
                    SENDER_KEY_DEVICE,
                    &key(&[group_jid, device]),
                    vec![u8::from(*has_key)],
                )
            })
            .collect();
        self.apply(ops).await
    }

    async fn clear_sender_key_devices(&self, group_jid: &str) -> Result<()> {
        let prefix = key(&[group_jid, ""]);
        self.delete_where(SENDER_KEY_DEVICE, move |k| k.starts_with(&prefix))
            .await
    }

    async fn delete_sender_key_device_rows(&self, device_jids: &[&str]) -> Result<()> {
        let devices: Vec<String> = device_jids.iter().map(|d| d.to_string()).collect();
        self.delete_where(SENDER_KEY_DEVICE, move |k| {
            k.split_once('\u{1f}')
                .is_some_and(|(_, device)| devices.iter().any(|d| d == device))
        })
        .await
    }

    async fn clear_all_sender_key_devices(&self) -> Result<()> {
        self.apply(vec![Op::clear(SENDER_KEY_DEVICE)]).await
    }

    async fn get_lid_mapping(&self, lid: &str) -> Result<Option<LidPnMappingEntry>> {
        self.get_json(LID, lid)
    }

    async fn get_pn_mapping(&self, phone: &str) -> Result<Option<LidPnMappingEntry>> {
        match self.get(PHONE, phone) {
            Some(lid) => self.get_json(LID, &String::from_utf8_lossy(&lid)),
            None => Ok(None),
        }
    }

    async fn put_lid_mapping(&self, entry: &LidPnMappingEntry) -> Result<()> {
        self.put_lid_mappings(std::slice::from_ref(entry)).await
    }

    async fn put_lid_mappings(&self, entries: &[LidPnMappingEntry]) -> Result<()> {
        let mut encoded = Vec::with_capacity(entries.len());
        for entry in entries {
            encoded.push((entry.clone(), json(entry)?));
        }
        self.change(move |spaces| {
            let mut ops = Vec::new();
            for (entry, bytes) in encoded {
                // A number that moved to another LID stops pointing at the old one.
                let old_phone = spaces
                    .get(LID)
                    .and_then(|s| s.get(&entry.lid))
                    .and_then(|old| serde_json::from_slice::<LidPnMappingEntry>(old).ok())
                    .map(|old| old.phone_number)
                    .filter(|old| *old != entry.phone_number);
                if let Some(old) = old_phone {
                    ops.push(Op::delete(PHONE, &old));
                }
                ops.push(Op::put(PHONE, &entry.phone_number, entry.lid.as_bytes()));
                ops.push(Op::put(LID, &entry.lid, bytes));
            }
            (ops, ())
        })
        .await
    }

    async fn get_all_lid_mappings(&self) -> Result<Vec<LidPnMappingEntry>> {
        self.journal.read(|spaces| {
            spaces
                .get(LID)
                .map(|entries| entries.values().map(|v| parse(v)).collect())
                .unwrap_or(Ok(Vec::new()))
        })
    }

    async fn save_base_key(&self, address: &str, message_id: &str, base_key: &[u8]) -> Result<()> {
        self.apply(vec![Op::put(
            BASE_KEY,
            &key(&[address, message_id]),
            base_key.to_vec(),
        )])
        .await
    }

    async fn has_same_base_key(
        &self,
        address: &str,
        message_id: &str,
        current_base_key: &[u8],
    ) -> Result<bool> {
        Ok(self
            .get(BASE_KEY, &key(&[address, message_id]))
            .is_some_and(|stored| stored == current_base_key))
    }

    async fn delete_base_key(&self, address: &str, message_id: &str) -> Result<()> {
        self.apply(vec![Op::delete(BASE_KEY, &key(&[address, message_id]))])
            .await
    }

    async fn update_device_list(&self, record: DeviceListRecord) -> Result<()> {
        self.update_device_lists(vec![record]).await
    }

    async fn update_device_lists(&self, records: Vec<DeviceListRecord>) -> Result<()> {
        let mut ops = Vec::with_capacity(records.len());
        for record in &records {
            ops.push(Op::put(DEVICE_LIST, &record.user, json(record)?));
        }
        self.apply(ops).await
    }

    async fn get_devices(&self, user: &str) -> Result<Option<DeviceListRecord>> {
        self.get_json(DEVICE_LIST, user)
    }

    async fn delete_devices(&self, user: &str) -> Result<()> {
        self.apply(vec![Op::delete(DEVICE_LIST, user)]).await
    }

    async fn get_group_metadata(&self, group_jid: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get(GROUP_METADATA, group_jid))
    }

    async fn put_group_metadata(&self, group_jid: &str, blob: &[u8]) -> Result<()> {
        self.apply(vec![Op::put(GROUP_METADATA, group_jid, blob.to_vec())])
            .await
    }

    async fn delete_group_metadata(&self, group_jid: &str) -> Result<()> {
        self.apply(vec![Op::delete(GROUP_METADATA, group_jid)])
            .await
    }

    async fn get_tc_token(&self, jid: &str) -> Result<Option<TcTokenEntry>> {
        self.get_json(TC_TOKEN, jid)
    }

    async fn put_tc_token(&self, jid: &str, entry: &TcTokenEntry) -> Result<()> {
        self.apply(vec![Op::put(TC_TOKEN, jid, json(entry)?)]).await
    }

    async fn delete_tc_token(&self, jid: &str) -> Result<()> {
        self.apply(vec![Op::delete(TC_TOKEN, jid)]).await
    }

    async fn get_all_tc_token_jids(&self) -> Result<Vec<String>> {
        Ok(self.journal.read(|spaces| {
            spaces
                .get(TC_TOKEN)
                .map(|entries| entries.keys().cloned().collect())
                .unwrap_or_default()
        }))
    }

    async fn delete_expired_tc_tokens(&self, token_cutoff: i64, sender_cutoff: i64) -> Result<u32> {
        self.delete_counted(TC_TOKEN, move |_, value| {
            serde_json::from_slice::<TcTokenEntry>(value).is_ok_and(|entry| {
                let token_live = !entry.token.is_empty() && entry.token_timestamp >= token_cutoff;
                let sender_live = entry.sender_timestamp.is_some_and(|ts| ts >= sender_cutoff);
                !(token_live || sender_live)
            })
        })
        .await
    }

    async fn store_sent_message(
        &self,
        chat_jid: &str,
        message_id: &str,
        payload: &[u8],
    ) -> Result<()> {
        let entry = json(&Sent {
            at: now_secs(),
            payload: payload.to_vec(),
        })?;
        let new_key = key(&[chat_jid, message_id]);
        self.change(move |spaces| {
            let mut ops = Vec::new();
            // Bounded: past the cap, the oldest quarter goes.
            if let Some(sent) = spaces.get(SENT).filter(|s| s.len() >= MAX_SENT_MESSAGES) {
                let mut ages: Vec<(i64, &String)> = sent
                    .iter()
                    .map(|(k, v)| (serde_json::from_slice::<Sent>(v).map_or(0, |s| s.at), k))
                    .collect();
                ages.sort();
                let drop = sent.len() - MAX_SENT_MESSAGES * 3 / 4;
                ops.extend(ages.iter().take(drop).map(|(_, k)| Op::delete(SENT, k)));
            }
            ops.push(Op::put(SENT, &new_key, entry));
            (ops, ())
        })
        .await
    }

    async fn take_sent_message(&self, chat_jid: &str, message_id: &str) -> Result<Option<Vec<u8>>> {
        let k = key(&[chat_jid, message_id]);
        let taken = self
            .change(
                move |spaces| match spaces.get(SENT).and_then(|s| s.get(&k)) {
                    Some(value) => (vec![Op::delete(SENT, &k)], Some(value.clone())),
                    None => (Vec::new(), None),
                },
            )
            .await?;
        taken
            .map(|bytes| parse::<Sent>(&bytes).map(|s| s.payload))
            .transpose()
    }

    async fn delete_expired_sent_messages(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.delete_counted(SENT, move |_, value| {
            serde_json::from_slice::<Sent>(value).map_or(true, |s| s.at < cutoff_timestamp)
        })
        .await
    }

    async fn store_pending_inbound(
        &self,
        chat: &str,
        sender: &str,
        id: &str,
        message: &[u8],
    ) -> Result<()> {
        let entry = json(&Pending {
            at: now_secs(),
            message: message.to_vec(),
        })?;
        self.apply(vec![Op::put(
            PENDING_INBOUND,
            &key(&[chat, sender, id]),
            entry,
        )])
        .await
    }

    async fn get_pending_inbound(
        &self,
        chat: &str,
        sender: &str,
        id: &str,
    ) -> Result<Option<Vec<u8>>> {
        self.get(PENDING_INBOUND, &key(&[chat, sender, id]))
            .map(|bytes| parse::<Pending>(&bytes).map(|p| p.message))
            .transpose()
    }

    async fn delete_pending_inbound(&self, chat: &str, sender: &str, id: &str) -> Result<()> {
        self.apply(vec![Op::delete(PENDING_INBOUND, &key(&[chat, sender, id]))])
            .await
    }

    async fn delete_expired_pending_inbound(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.delete_counted(PENDING_INBOUND, move |_, value| {
            serde_json::from_slice::<Pending>(value).map_or(true, |p| p.at < cutoff_timestamp)
        })
        .await
    }
}
