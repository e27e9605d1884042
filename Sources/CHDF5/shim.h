#include <hdf5.h>

// HDF5's predefined types and defaults are macros over library globals that Swift cannot import;
// these inline functions hand them over.
static inline hid_t ss_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t ss_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t ss_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t ss_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t ss_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t ss_h5s_all(void) { return H5S_ALL; }
static inline unsigned ss_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned ss_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline hid_t ss_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
/// Turns off HDF5's printing of its error stack to standard error (errors are returned).
static inline void ss_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
