//! `cargo xtask doctor`: okta-config's rules, then live checks against the authorization server,
//! every problem at once with its fix. The checks are `okta_e2e::doctor`.

use anyhow::{Context as _, bail};
use okta_config::SettingsLoader;
use okta_e2e::{E2E_CLIENT_ID, Target, doctor};
use okta_verify::Clock;

use crate::flags::Doctor;
use crate::report;

impl Doctor {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        crate::runtime()?.block_on(self.run_async())
    }

    async fn run_async(self) -> anyhow::Result<()> {
        let findings = if self.devserver {
            let target = Target::devserver().await.context("starting okta-devserver in-process")?;
            let server = target.devserver_handle().context("a devserver target")?;
            let pairs = server
                .okta_settings("default", E2E_CLIENT_ID)
                .context("the e2e client is registered")?;
            report(&format!(
                "doctor: okta-devserver's e2e client at {}\n",
                target.settings().issuer()
            ));
            let loader = || {
                pairs.iter().fold(SettingsLoader::isolated(), |loader, (key, value)| {
                    loader.set(*key, value.clone())
                })
            };
            doctor(loader, Clock::system()).await
        } else {
            report("doctor: the settings of okta.toml (or $OKTA_CONFIG) and OKTA_* as a client\n");
            let loader = || match &self.issuer {
                Some(issuer) => SettingsLoader::new().set("issuer", issuer.as_str()),
                None => SettingsLoader::new(),
            };
            doctor(loader, Clock::system()).await
        };
        report(&findings.render());
        if findings.problems() > 0 {
            bail!("{} problem(s) to fix before going live", findings.problems());
        }
        Ok(())
    }
}
