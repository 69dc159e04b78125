//! The kinds simulated through the generic store (`objects::typed`): each
//! is one module (the object, its strategy, its printing, its manifest
//! decoder) registered here. kubesim's first kinds (Pod, Node,
//! ReplicaSet/ReplicationController, Lease, Namespace) predate the
//! generic store and keep their own typed maps.

#![warn(missing_docs)]

pub mod cron;
pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod endpoints;
pub mod endpointslice;
pub mod job;
pub mod service;

use crate::objects::meta::ObjectMeta;
use crate::objects::typed::{KindInfo, TypedObject};
use crate::scenario::reader::{Fields, Reader};
use std::rc::Rc;

/// Reads a manifest's fields other than `apiVersion`, `kind` and
/// `metadata` (already read into the `ObjectMeta`); `None` after an error
/// was reported. The last argument ends the messages of unmodelled fields
/// (` in Service`).
pub type Decode = fn(&mut Reader, &mut Fields, ObjectMeta, &str) -> Option<Rc<dyn TypedObject>>;

/// A registered kind.
pub struct Registration {
    /// The kind.
    pub info: &'static KindInfo,
    /// Its manifest decoder.
    pub decode: Decode,
}

/// Every typed kind.
pub static KINDS: &[Registration] = &[
    Registration { info: &service::INFO, decode: service::decode },
    Registration { info: &deployment::INFO, decode: deployment::decode },
    Registration { info: &daemonset::INFO, decode: daemonset::decode },
    Registration { info: &job::INFO, decode: job::decode },
    Registration { info: &cronjob::INFO, decode: cronjob::decode },
    Registration { info: &endpoints::INFO, decode: endpoints::decode },
    Registration { info: &endpointslice::INFO, decode: endpointslice::decode },
];

/// The causes of an Invalid error as the apiserver joins them: one alone,
/// several as `[a, b]` (`field.ErrorList.ToAggregate`).
pub(crate) fn join_causes(errs: &[String]) -> String {
    match errs {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

/// The registration of `kind` served at `api_version`.
pub fn find(api_version: &str, kind: &str) -> Option<&'static Registration> {
    KINDS.iter().find(|r| r.info.kind == kind && r.info.api_version() == api_version)
}

/// The registration of `kind`, whatever the version.
pub fn by_kind(kind: &str) -> Option<&'static Registration> {
    KINDS.iter().find(|r| r.info.kind == kind)
}

/// The apiserver's strategy for the `apps/v1` workload kinds (Deployment,
/// DaemonSet): on create the status is the controller's; on update the
/// selector is immutable, the new spec is validated, status is kept and
/// `metadata.generation` counts spec changes; the status subresource
/// takes only the status.
pub(crate) trait Workload: TypedObject + Clone {
    /// `spec`.
    type Spec: Clone + PartialEq;
    /// `status`.
    type Status: Clone + Default;
    /// The kind's name, for the wrong-kind error.
    const KIND: &'static str;
    /// Metadata, spec and status.
    fn parts(&self) -> (&ObjectMeta, &Self::Spec, &Self::Status);
    /// The object from its parts.
    fn assemble(meta: ObjectMeta, spec: Self::Spec, status: Self::Status) -> Self;
    /// `spec.selector`.
    fn selector(spec: &Self::Spec) -> &crate::objects::selector::Selector;
    /// The kind's validation.
    fn validate(&self) -> Vec<String>;

    /// `PrepareForCreate` and `Validate`.
    fn workload_create(&self) -> Result<Rc<dyn TypedObject>, Vec<String>> {
        let errs = self.validate();
        if !errs.is_empty() {
            return Err(errs);
        }
        let (meta, spec, _) = self.parts();
        Ok(Rc::new(Self::assemble(meta.clone(), spec.clone(), Self::Status::default())))
    }

    /// `PrepareForUpdate` and `ValidateUpdate`.
    fn workload_update(&self, new: &dyn TypedObject) -> Result<(Rc<dyn TypedObject>, bool), Vec<String>> {
        let new = new
            .as_any()
            .downcast_ref::<Self>()
            .ok_or_else(|| vec![format!("kind: Invalid value: not a {}", Self::KIND)])?;
        let (meta, spec, status) = self.parts();
        let new_spec = new.parts().1;
        if *Self::selector(new_spec) != *Self::selector(spec) {
            let sel = Self::selector(new_spec);
            return Err(vec![format!("spec.selector: Invalid value: \"{}\": field is immutable", sel)]);
        }
        let updated = Self::assemble(meta.clone(), new_spec.clone(), status.clone());
        let errs = updated.validate();
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok((Rc::new(updated), new_spec != spec))
    }

    /// The status subresource: `self` with `new`'s status.
    fn workload_status(&self, new: &dyn TypedObject) -> Option<Rc<dyn TypedObject>> {
        let new = new.as_any().downcast_ref::<Self>()?;
        let (meta, spec, _) = self.parts();
        Some(Rc::new(Self::assemble(meta.clone(), spec.clone(), new.parts().2.clone())))
    }
}
