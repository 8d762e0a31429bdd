//! App-state sync: the sync keys, collection versions and mutation MACs.

use super::*;

#[async_trait]
impl AppSyncStore for KeyStore {
    async fn get_sync_key(&self, key_id: &[u8]) -> Result<Option<AppStateSyncKey>> {
        self.get_json(SYNC_KEY, &hex(key_id))
    }

    async fn set_sync_key(&self, key_id: &[u8], key: AppStateSyncKey) -> Result<()> {
        self.apply(vec![
            Op::put(SYNC_KEY, &hex(key_id), json(&key)?),
            Op::put(META, LATEST_SYNC_KEY, key_id.to_vec()),
        ])
        .await
    }

    async fn get_version(&self, name: &str) -> Result<HashState> {
        Ok(self.get_json(APP_VERSION, name)?.unwrap_or_default())
    }

    async fn set_version(&self, name: &str, state: HashState) -> Result<()> {
        self.apply(vec![Op::put(APP_VERSION, name, json(&state)?)])
            .await
    }

    async fn put_mutation_macs(
        &self,
        name: &str,
        _version: u64,
        mutations: &[AppStateMutationMAC],
    ) -> Result<()> {
        let ops = mutations
            .iter()
            .map(|m| {
                Op::put(
                    MUTATION_MAC,
                    &mac_key(name, &m.index_mac),
                    m.value_mac.clone(),
                )
            })
            .collect();
        self.apply(ops).await
    }

    async fn get_mutation_mac(&self, name: &str, index_mac: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.get(MUTATION_MAC, &mac_key(name, index_mac)))
    }

    async fn delete_mutation_macs(&self, name: &str, index_macs: &[Vec<u8>]) -> Result<()> {
        let ops = index_macs
            .iter()
            .map(|mac| Op::delete(MUTATION_MAC, &mac_key(name, mac)))
            .collect();
        self.apply(ops).await
    }

    async fn clear_mutation_macs(&self, name: &str) -> Result<()> {
        let prefix = key(&[name, ""]);
        self.change(move |spaces| {
            let ops = spaces
                .get(MUTATION_MAC)
                .map(|entries| {
                    entries
                        .range(prefix.clone()..)
                        .take_while(|(k, _)| k.starts_with(&prefix))
                        .map(|(k, _)| Op::delete(MUTATION_MAC, k))
                        .collect()
                })
                .unwrap_or_default();
            (ops, ())
        })
        .await
    }

    async fn get_latest_sync_key_id(&self) -> Result<Option<Vec<u8>>> {
        Ok(self.get(META, LATEST_SYNC_KEY))
    }
}
