# The vault has no admin on purpose: personal data is read only through hamkori.vault.services,
# which audits every read with its purpose. Do not register VaultRecord or NameToken here.
