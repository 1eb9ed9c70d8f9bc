//! `cargo xtask doctor`: okta-config's rules, then live checks against the authorization server,
//! every problem at once with its fix. The checks are `okta_e2e::doctor`.

use anyhow::{Context as _, bail};
use okta_config::SettingsLoader;
use okta_e2e::{E2E_CLIENT_ID, Target, doctor};
use okta_verify::Clock;

use crate::flags::{Doctor, DoctorRole};
use crate::report;

impl Doctor {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        crate::runtime()?.block_on(self.run_async())
    }

    async fn run_async(self) -> anyhow::Result<()> {
        if self.role != DoctorRole::Client {
            return self.run_role().await;
        }
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

impl Doctor {
    /// `--role api` or `--role service`: okta-e2e's `doctor_resource_server` or
    /// `doctor_service`, on the configured settings or the devserver's demo API and service.
    async fn run_role(self) -> anyhow::Result<()> {
        let scopes = match &self.scopes {
            Some(text) => text
                .split_whitespace()
                .map(|name| {
                    okta_config::Scope::parse(name).with_context(|| format!("scope {name:?}"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
            None if self.devserver && self.role == DoctorRole::Service => {
                vec![okta_config::Scope::parse("orders:read").context("the demo scope")?]
            }
            None => Vec::new(),
        };
        // Keeps the in-process devserver alive while the doctor runs.
        let mut _devserver = None;
        let pairs: Vec<(&'static str, String)> = if self.devserver {
            let target = Target::devserver().await.context("starting okta-devserver in-process")?;
            let server = target.devserver_handle().context("a devserver target")?;
            let mut pairs = match self.role {
                DoctorRole::Service => server
                    .okta_settings(
                        okta_devserver::DEMO_ORDERS_SERVER_ID,
                        okta_devserver::DEMO_SERVICE_CLIENT_ID,
                    )
                    .context("the demo service is registered")?,
                DoctorRole::Api | DoctorRole::Client => server
                    .okta_settings("default", E2E_CLIENT_ID)
                    .context("the e2e client is registered")?,
            };
            if self.role == DoctorRole::Api {
                pairs.push(("client_ids", E2E_CLIENT_ID.to_owned()));
            }
            report(&format!("doctor: okta-devserver's demo settings at {}\n", pairs[0].1));
            _devserver = Some(target);
            pairs
        } else {
            report("doctor: the settings of okta.toml (or $OKTA_CONFIG) and OKTA_*\n");
            Vec::new()
        };
        let loader = || {
            let base =
                if self.devserver { SettingsLoader::isolated() } else { SettingsLoader::new() };
            let loader =
                pairs.iter().fold(base, |loader, (key, value)| loader.set(*key, value.clone()));
            match &self.issuer {
                Some(issuer) => loader.set("issuer", issuer.as_str()),
                None => loader,
            }
        };
        let findings = match self.role {
            DoctorRole::Service => okta_e2e::doctor_service(loader, &scopes, Clock::system()).await,
            DoctorRole::Api | DoctorRole::Client => {
                okta_e2e::doctor_resource_server(loader, Clock::system()).await
            }
        };
        report(&findings.render());
        if findings.problems() > 0 {
            bail!("{} problem(s) to fix before going live", findings.problems());
        }
        Ok(())
    }
}
